using System.Diagnostics;
using Mdl.Silo.Security;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mdl.Tests.Postgres;

/// <summary>Postgres mode as an operator runs it: <c>--migrate-only</c>, and a silo killed outright.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests(PostgresServer server)
{
    [Fact]
    public async Task Migrate_only_applies_the_schema_then_finds_nothing_to_do_and_exits_0()
    {
        var database = await server.CreateDatabaseAsync("migrate_only");
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Mdl"] = database };

        var first = await SiloExecutable.RunAsync(["--migrate-only"], environment);
        var second = await SiloExecutable.RunAsync(["--migrate-only"], environment);

        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("0004_streaming.sql", first.Out, StringComparison.Ordinal);
        Assert.Equal(0, second.Code);
        Assert.Contains("up to date", second.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_only_without_a_connection_string_says_what_to_set_and_exits_1()
    {
        var (code, _, error) = await SiloExecutable.RunAsync(["--migrate-only"], new Dictionary<string, string> { ["ConnectionStrings__Mdl"] = "" });

        Assert.Equal(1, code);
        Assert.Contains("ConnectionStrings__Mdl", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_silo_is_declared_dead_within_seconds()
    {
        var database = await server.CreateDatabaseAsync("killed");
        await using var survivor = await PostgresSilo.StartAsync(database, "killed");
        var membership = survivor.App.Services.GetRequiredService<IClusterMembershipService>();
        var victimPort = FreePorts.Next();
        using var victim = SiloExecutable.Start([], new Dictionary<string, string>
        {
            ["Mdl__Storage"] = "postgres",
            ["ConnectionStrings__Mdl"] = database,
            ["Mdl__ClusterId"] = "killed",
            ["Mdl__SiloPort"] = $"{victimPort}",
            ["Mdl__GatewayPort"] = $"{FreePorts.Next()}",
            ["Mdl__HttpPort"] = $"{FreePorts.Next()}",
            ["Mdl__HttpHost"] = "127.0.0.1",
            ["Mdl__ApiKeys__0__Name"] = "test",
            ["Mdl__ApiKeys__0__Hash"] = ApiKeyHash.Of(ApiKeyHash.NewKey()),
            ["Mdl__ApiKeys__0__Scopes__0"] = "admin",
            ["Logging__LogLevel__Default"] = "Warning",
        });
        var output = victim.StandardOutput.ReadToEndAsync();
        var errors = victim.StandardError.ReadToEndAsync();
        try
        {
            await Eventually.WaitAsync(
                () => Task.FromResult(Active(membership)), hosts => hosts.Count == 2 || victim.HasExited, "the second silo to join", TimeSpan.FromSeconds(90));
            if (victim.HasExited)
            {
                // Only now: the output tasks complete when the process closes its pipes.
                Assert.Fail($"the second silo exited: {await output}{await errors}");
            }
        }
        catch
        {
            victim.Kill(entireProcessTree: true);
            throw;
        }

        // No goodbye: the process dies as on a crashed node, and only the survivor's probes can tell.
        victim.Kill(entireProcessTree: true);
        var clock = Stopwatch.StartNew();
        await Eventually.WaitAsync(
            () => Task.FromResult(Active(membership)), hosts => hosts.Count == 1, "the killed silo to be declared dead", TimeSpan.FromSeconds(30));

        // The defaults (2 s probes, 2 missed, one vote needed among two silos) aim at well under 20 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"declared dead after {clock.Elapsed}");
        Assert.Equal(6, await PostgresServer.ScalarAsync<int>(database, $"SELECT status FROM orleans_membership WHERE port = {victimPort}"));
    }

    // The survivor's own view of the cluster: what its membership service believes, no grain call involved.
    private static List<string> Active(IClusterMembershipService membership) =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.ToString())];
}
