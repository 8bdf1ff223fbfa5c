using System.Text.RegularExpressions;
using Mdl.Audit;
using Mdl.Storage;
using Mdl.Tests.Storage;
using Mdl.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mdl.Tests.Audit;

/// <summary>The SQLite audit log against a real file in a temp directory: the contract, reopening, sharing the file, tampering.</summary>
public sealed partial class SqliteAuditLogTests : AuditLogContractTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mdl-audit-tests", Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> _opened = [];
    private readonly SqliteAuditLog _log;

    /// <summary>Opens a log on a fresh file.</summary>
    public SqliteAuditLogTests()
    {
        _log = Open();
    }

    /// <inheritdoc />
    protected override IAuditLog Log => _log;

    private string DatabasePath => Path.Combine(_directory, "nested", "mdl.db");

    [Fact]
    public async Task A_reopened_file_keeps_the_chain_and_appends_continue_it()
    {
        var goal = NewGoalId();
        await _log.AppendAsync(Record(goal, AuditKinds.Defined, """{"version":1}"""));
        var second = await _log.AppendAsync(Record(goal, AuditKinds.Paused, "{}"));
        _log.Dispose();

        var reopened = Open();
        var read = await reopened.ReadAsync(goal, 0, 10);
        var third = await reopened.AppendAsync(Record(goal, AuditKinds.Resumed, "{}"));

        Assert.Equal([1L, 2L], read.Select(e => e.Seq));
        Assert.Equal(Describe(second), Describe(read[1]));
        Assert.Equal(3, third.Seq);
        Assert.Equal(second.Hash, third.PrevHash);
        Assert.Null(AuditChain.Verify(await reopened.ReadAsync(goal, 0, 10)));
    }

    [Fact]
    public async Task Two_logs_on_one_file_like_two_processes_still_chain_one_goal_correctly()
    {
        var goal = NewGoalId();
        var other = Open();

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Task.Run(() => (i % 2 == 0 ? _log : other).AppendAsync(Record(goal, AuditKinds.Call, $$"""{"i":{{i}}}""")))));

        var read = await ReadAllAsync(goal);
        Assert.Equal(100, read.Count);
        Assert.Null(AuditChain.Verify(read));
    }

    [Fact]
    public async Task The_log_shares_its_file_with_the_sqlite_grain_storage()
    {
        var storage = OpenGrainStorage();
        var grain = GrainId.Create("counter-grain", "a");
        var state = new GrainState<CounterState>(new CounterState());
        var goal = NewGoalId();

        for (var i = 1; i <= 20; i++)
        {
            state.State!.Count = i;
            await Task.WhenAll(
                storage.WriteStateAsync("counter", grain, state),
                _log.AppendAsync(Record(goal, AuditKinds.Decision, $$"""{"n":{{i}}}""")));
        }

        var stored = new GrainState<CounterState>();
        await storage.ReadStateAsync("counter", grain, stored);
        Assert.Equal(20, Assert.IsType<CounterState>(stored.State).Count);
        var chain = await ReadAllAsync(goal);
        Assert.Equal(20, chain.Count);
        Assert.Null(AuditChain.Verify(chain));
        Assert.Equal(["audit_log", "grain_state"], Tables());
    }

    [Fact]
    public async Task Verify_names_the_entry_whose_data_was_changed_in_the_file_directly()
    {
        var goal = await AppendFiveAsync();

        // What someone holding the file could do: get round the append-only triggers, then rewrite a row.
        Tamper(
            "DROP TRIGGER audit_log_no_update;",
            $"UPDATE audit_log SET data = '{{\"n\":3,\"amount\":1000000}}' WHERE goal_id = '{goal}' AND seq = 3;");

        var broken = AuditChain.Verify(await _log.ReadAsync(goal, 0, 100));

        Assert.NotNull(broken);
        Assert.Equal(3, broken.Seq);
        Assert.Equal(AuditBreakKind.HashMismatch, broken.Kind);
    }

    [Fact]
    public async Task Verify_names_the_entry_whose_time_kind_or_hash_was_changed_in_the_file()
    {
        var goal = await AppendFiveAsync();
        Tamper(
            "DROP TRIGGER audit_log_no_update;",
            $"UPDATE audit_log SET time = '2020-01-01 00:00:00' WHERE goal_id = '{goal}' AND seq = 4;",
            $"UPDATE audit_log SET kind = 'outcome' WHERE goal_id = '{goal}' AND seq = 5;");
        Assert.Equal(4, AuditChain.Verify(await _log.ReadAsync(goal, 0, 100))!.Seq);

        var other = await AppendFiveAsync();
        Tamper($"UPDATE audit_log SET hash = '{new string('e', 64)}' WHERE goal_id = '{other}' AND seq = 2;");
        Assert.Equal(2, AuditChain.Verify(await _log.ReadAsync(other, 0, 100))!.Seq);
    }

    [Fact]
    public async Task Verify_names_a_row_deleted_from_the_file_and_garbage_data_does_not_stop_the_read()
    {
        var goal = await AppendFiveAsync();
        Tamper(
            "DROP TRIGGER audit_log_no_delete;",
            $"DELETE FROM audit_log WHERE goal_id = '{goal}' AND seq = 2;");

        var gap = AuditChain.Verify(await _log.ReadAsync(goal, 0, 100));
        Assert.Equal(new AuditBreak(2, AuditBreakKind.Gap, "gap in seq: entry #2 is missing (#1 is followed by #3)"), gap);

        var other = await AppendFiveAsync();
        Tamper(
            "DROP TRIGGER IF EXISTS audit_log_no_update;",
            $"UPDATE audit_log SET data = 'not json {{' WHERE goal_id = '{other}' AND seq = 1;");
        Assert.Equal(1, AuditChain.Verify(await _log.ReadAsync(other, 0, 100))!.Seq);
    }

    [Fact]
    public async Task The_table_refuses_updates_and_deletes_from_any_connection()
    {
        var goal = await AppendFiveAsync();

        var update = Assert.Throws<SqliteException>(() => Tamper($"UPDATE audit_log SET kind = 'x' WHERE goal_id = '{goal}';"));
        var delete = Assert.Throws<SqliteException>(() => Tamper($"DELETE FROM audit_log WHERE goal_id = '{goal}';"));

        Assert.Contains("append-only", update.Message);
        Assert.Contains("append-only", delete.Message);
        Assert.Null(AuditChain.Verify(await _log.ReadAsync(goal, 0, 100)));
        Assert.Equal(5, (await _log.ReadAsync(goal, 0, 100)).Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("relative/mdl.db")]
    [InlineData(":memory:")]
    public void A_path_that_is_not_a_full_file_path_is_refused(string path)
    {
        Assert.Throws<ArgumentException>(() => new SqliteAuditLog(path, null, NullLogger<SqliteAuditLog>.Instance));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSqliteAuditLog(path));
    }

    [Fact]
    public void The_first_registration_wins()
    {
        using var services = new ServiceCollection()
            .AddInMemoryAuditLog()
            .AddSqliteAuditLog(DatabasePath)
            .BuildServiceProvider();

        Assert.IsType<InMemoryAuditLog>(services.GetRequiredService<IAuditLog>());
    }

    [Fact]
    public void No_product_code_updates_or_deletes_an_audit_entry()
    {
        var root = RepositoryFiles.Root;
        var offending = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => ChangesAuditRows().IsMatch(File.ReadAllText(f)))
            .ToList();

        Assert.Empty(offending);
        Assert.True(File.Exists(Path.Combine(root, "src", "Grains", "Audit", "SqliteAuditLog.cs")), "the scan must see the audit log's source");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var opened in _opened)
        {
            opened.Dispose();
        }

        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [GeneratedRegex(@"\b(UPDATE\s+(OR\s+\w+\s+)?audit_log|DELETE\s+FROM\s+audit_log|REPLACE\s+INTO\s+audit_log|INSERT\s+OR\s+REPLACE)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ChangesAuditRows();

    private async Task<string> AppendFiveAsync()
    {
        var goal = NewGoalId();
        for (var n = 1; n <= 5; n++)
        {
            await _log.AppendAsync(Record(goal, AuditKinds.Decision, $$"""{"n":{{n}}}""", Start.AddSeconds(n)));
        }

        Assert.Null(AuditChain.Verify(await _log.ReadAsync(goal, 0, 100)));
        return goal;
    }

    /// <summary>Runs SQL through the test's own connection, as someone with the file in hand would.</summary>
    private void Tamper(params string[] statements)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    private List<string> Tables()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private SqliteAuditLog Open()
    {
        var log = new SqliteAuditLog(DatabasePath, TimeSpan.FromSeconds(10), NullLogger<SqliteAuditLog>.Instance);
        _opened.Add(log);
        return log;
    }

    private SqliteGrainStorage OpenGrainStorage()
    {
        var storage = new SqliteGrainStorage(
            StorageNames.Goals,
            new SqliteStorageOptions { DatabasePath = DatabasePath },
            new OrleansGrainStorageSerializer(SerializerServices.Instance.GetRequiredService<Serializer>()),
            SerializerServices.Instance.GetRequiredService<IActivatorProvider>(),
            new FakeTimeProvider(Start),
            NullLogger<SqliteGrainStorage>.Instance);
        _opened.Add(storage);
        return storage;
    }

    // Built once: the serializer scans assemblies, which is the slow part.
    private static class SerializerServices
    {
        public static readonly ServiceProvider Instance = new ServiceCollection()
            .AddSerializer(serializer => serializer
                .AddAssembly(typeof(CounterState).Assembly)
                .AddAssembly(typeof(JsonElementSurrogate).Assembly))
            .BuildServiceProvider();
    }
}
