using System.Text.Json;
using Mdl.Audit;
using Mdl.Cli;
using Mdl.Client;
using Mdl.Silo;
using Mdl.Tests.Goals;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Mdl.Tests.Audit;

/// <summary>
/// The real silo host with its SQLite audit log in <c>mdl.db</c>, for the <c>mdl audit</c> commands. Entries are
/// appended straight to the silo's <see cref="IAuditLog"/>, so these tests do not depend on which events the goal
/// grain audits.
/// </summary>
public sealed class AuditSiloFixture : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>The data folder.</summary>
    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "mdl-audit-cli-" + Guid.NewGuid().ToString("n"));

    /// <summary>The SQLite file the silo keeps its state and audit log in.</summary>
    public string DatabasePath => Path.Combine(DataPath, "mdl.db");

    /// <summary>The Orleans gateway port.</summary>
    public int GatewayPort { get; } = FreePorts.Next();

    /// <summary>The silo's own cluster client.</summary>
    public IClusterClient Client => _app!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The silo's audit log.</summary>
    public IAuditLog Log => _app!.Services.GetRequiredService<IAuditLog>();

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var httpPort = FreePorts.Next();
        string[] args =
        [
            $"--Mdl:DataPath={DataPath}",
            $"--Mdl:SiloPort={FreePorts.Next()}",
            $"--Mdl:GatewayPort={GatewayPort}",
            $"--Mdl:HttpPort={httpPort}",
            $"--Mdl:ClusterId=audit-{httpPort}",
        ];

        // Registered ahead of the silo's own setup; should the silo register one too, the first registration wins.
        _app = MdlSiloApp.Build(args, builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddSqliteAuditLog(DatabasePath);
        });
        await _app.StartAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

/// <summary><c>mdl audit list|verify</c> run in-process against the real silo.</summary>
public sealed class AuditCliTests(AuditSiloFixture silo) : IClassFixture<AuditSiloFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Verify_of_a_defined_goal_says_intact_and_exits_0()
    {
        var id = NewGoalId();
        await new MdlClient(silo.Client).PutGoalAsync(id, TestDefinitions.User55());

        var verify = await RunAsync("audit", "verify", id);
        var list = await RunAsync("audit", "list", id);

        Assert.True(verify.Code == 0, verify.Err);
        Assert.Matches($@"^audit chain of goal '{id}' intact: \d+ entr(y|ies)$", verify.Out.Trim());
        Assert.Equal("", verify.Err);
        Assert.True(list.Code == 0, list.Err);
        Assert.NotEqual("", list.Out.Trim());
    }

    [Fact]
    public async Task Verify_and_list_of_a_goal_never_defined_exit_2_saying_so()
    {
        var id = NewGoalId();

        var verify = await RunAsync("audit", "verify", id);
        var list = await RunAsync("audit", "list", id);

        Assert.Equal(2, verify.Code);
        Assert.Equal($"goal '{id}' not found", verify.Err.Trim());
        Assert.Equal(2, list.Code);
        Assert.Equal($"goal '{id}' not found", list.Err.Trim());
    }

    [Fact]
    public async Task List_shows_the_chain_oldest_first_and_pages_with_after_and_limit()
    {
        var id = NewGoalId();
        var appended = await AppendAsync(id, 3);

        var text = await RunAsync("audit", "list", id);
        var json = await RunAsync("audit", "list", id, "--json");
        var page = await RunAsync("audit", "list", id, "--after", "1", "--limit", "1", "--json");

        Assert.Equal(0, text.Code);
        var lines = text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches(@"^SEQ\s+TIME\s+KIND\s+HASH\s+DATA$", lines[0]);
        Assert.Matches($@"^#1\s+2026-11-27T08:00:01\.000Z\s+decision\s+{appended[0].Hash[..12]}\s+\{{""n"":1\}}$", lines[1]);
        Assert.StartsWith("#3", lines[3]);
        var entries = JsonSerializer.Deserialize<AuditEntry[]>(json.Out, MdlJson.Options)!;
        Assert.Equal(appended.Select(e => e.Hash), entries.Select(e => e.Hash));
        Assert.Null(AuditChain.Verify(entries));
        Assert.Equal([2L], JsonSerializer.Deserialize<AuditEntry[]>(page.Out, MdlJson.Options)!.Select(e => e.Seq));
    }

    [Fact]
    public async Task Verify_recomputes_the_chain_and_names_an_entry_altered_in_the_file()
    {
        var id = NewGoalId();
        await AppendAsync(id, 4);

        var intact = await RunAsync("audit", "verify", id);
        Assert.Equal(0, intact.Code);
        Assert.Equal($"audit chain of goal '{id}' intact: 4 entries", intact.Out.Trim());

        // Someone with the file in hand gets round the append-only trigger and rewrites entry #2.
        Tamper(
            "DROP TRIGGER IF EXISTS audit_log_no_update;",
            $"UPDATE audit_log SET data = '{{\"n\":200}}' WHERE goal_id = '{id}' AND seq = 2;");

        var broken = await RunAsync("audit", "verify", id);
        var json = await RunAsync("audit", "verify", id, "--json");

        Assert.Equal(2, broken.Code);
        Assert.Matches($@"^audit chain of goal '{id}' broken at entry #2: hash mismatch: ", broken.Out.Trim());
        Assert.Equal(2, json.Code);
        var result = JsonSerializer.Deserialize<AuditVerification>(json.Out, MdlJson.Options)!;
        Assert.False(result.Intact);
        Assert.Equal(2, result.Break!.Seq);
        Assert.Equal(AuditBreakKind.HashMismatch, result.Break.Kind);
    }

    [Fact]
    public async Task Sdk_verify_pages_through_a_chain_longer_than_one_page()
    {
        var id = NewGoalId();
        await AppendAsync(id, IAuditGrain.MaxPageSize + 5);
        var mdl = new MdlClient(silo.Client);

        var result = await mdl.VerifyAuditAsync(id);

        Assert.True(result.Intact, result.Break?.Reason);
        Assert.Equal(IAuditGrain.MaxPageSize + 5, result.Entries);
        Assert.Equal((await mdl.ReadAuditAsync(id, IAuditGrain.MaxPageSize + 4, 1)).Single().Hash, result.Head);
    }

    [Theory]
    [InlineData("--limit", "0")]
    [InlineData("--limit", "1001")]
    [InlineData("--after", "-1")]
    public async Task List_with_a_bad_option_is_a_usage_error(string option, string value)
    {
        var result = await RunAsync("audit", "list", "some-goal", option, value);

        Assert.Equal(1, result.Code);
        Assert.Contains(option, result.Err);
    }

    private async Task<List<AuditEntry>> AppendAsync(string goalId, int count)
    {
        var entries = new List<AuditEntry>();
        for (var n = 1; n <= count; n++)
        {
            var data = JsonSerializer.SerializeToElement(new { n });
            entries.Add(await silo.Log.AppendAsync(new AuditRecord(goalId, AuditKinds.Decision, Start.AddSeconds(n), data)));
        }

        return entries;
    }

    private void Tamper(params string[] statements)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = silo.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    private static string NewGoalId() => "audit-cli-" + Guid.NewGuid().ToString("n")[..12];

    private string[] Connection()
    {
        var cluster = silo.Client.ServiceProvider.GetRequiredService<IOptions<ClusterOptions>>().Value;
        return ["--gateway", $"127.0.0.1:{silo.GatewayPort}", "--service-id", cluster.ServiceId, "--cluster-id", cluster.ClusterId];
    }

    private async Task<CliResult> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync([.. args, .. Connection()], stdout, stderr).WaitAsync(Bound);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private sealed record CliResult(int Code, string Out, string Err);
}
