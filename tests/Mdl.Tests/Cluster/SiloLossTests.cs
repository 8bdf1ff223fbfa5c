using System.Globalization;
using System.Text.Json;
using Mdl.Cli;
using Mdl.Goals;
using Mdl.Tests.Support;
using Xunit.Abstractions;

namespace Mdl.Tests.Cluster;

/// <summary>
/// Production mode under real failures: three silo processes on one PostgreSQL, a steady acknowledged load across many
/// goals, and a silo killed with SIGKILL (or each stopped and started in turn). Every acknowledged observation must be
/// counted exactly once by its goal afterwards. Figures go to the test output.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SiloLossTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Goals = 120;
    private const int PerSecond = 200;
    private static readonly TimeSpan ObservationDeadline = TimeSpan.FromSeconds(60);

    // How long a killed silo's goals may take to answer again: membership is tuned to declare a dead silo in seconds.
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(30);

    /// <summary>Load duration: the 60 s unless MDL_CLUSTER_LOAD_SECONDS says otherwise.</summary>
    private static TimeSpan LoadDuration => TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("MDL_CLUSTER_LOAD_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 60);

    [Fact]
    public async Task A_silo_killed_mid_load_loses_and_duplicates_no_acknowledged_observation_and_its_goals_serve_again_within_seconds()
    {
        await using var cluster = await ProcessCluster.StartAsync(await postgres.CreateDatabaseAsync("kill"), silos: 3, "kill");
        var goals = await cluster.DefineCountingGoalsAsync(Goals);
        var load = new AcknowledgedLoad(cluster.Client, goals);
        var killAt = LoadDuration / 3;

        var running = load.RunAsync(PerSecond, LoadDuration, maxOutstanding: 2_000, ObservationDeadline);
        await Task.Delay(killAt);
        var killedAt = load.Elapsed;
        cluster.Silos[1].Kill();
        await running;

        // From the kill, not from the first failed call: a call to the dead silo may only fail at the client's
        // response timeout, and the goal is not serving during that wait either.
        var outages = load.ServingAgainSince(killedAt);
        Report(load, cluster, $"SIGKILL of {cluster.Silos[1].Name} at {killedAt.TotalSeconds:0.0} s");
        output.WriteLine(
            $"goals that missed a call: {outages.Count} of {Goals}; serving again, counted from the kill: " +
            $"max {Max(outages.Values):0.00} s, median {Median(outages.Values):0.00} s");
        var afterKill = load.AcksPerSecond.Where(s => s.Key >= (long)killedAt.TotalSeconds && s.Key < (long)LoadDuration.TotalSeconds).ToList();
        output.WriteLine($"acknowledgements per second from the kill on: min {afterKill.Min(s => s.Value)}, mean {afterKill.Average(s => s.Value):0}");

        await AssertExactlyOnceAsync(cluster, load);
        Assert.Empty(load.NotRecovered());
        Assert.NotEmpty(outages);
        Assert.All(outages, o => Assert.True(o.Value < RecoveryBound, $"goal {o.Key} took {o.Value.TotalSeconds:0.0} s to serve again"));

        // The CLI joins the surviving cluster the same way, through the membership table.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(
            ["goals", "get", goals[0], "--json", "--cluster-db", cluster.ConnectionString, "--cluster-id", cluster.ClusterId], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        var snapshot = JsonSerializer.Deserialize<GoalSnapshot>(stdout.ToString(), MdlJson.Options)!;
        Assert.Equal(load.Acknowledged[goals[0]], snapshot.Metrics["ticks"]);
    }

    [Fact]
    public async Task A_rolling_restart_loses_and_duplicates_no_acknowledged_observation()
    {
        await using var cluster = await ProcessCluster.StartAsync(await postgres.CreateDatabaseAsync("rolling"), silos: 3, "rolling");
        var goals = await cluster.DefineCountingGoalsAsync(Goals);
        var load = new AcknowledgedLoad(cluster.Client, goals);

        // Long enough for three graceful stops and starts on a busy machine; the load runs throughout.
        var running = load.RunAsync(PerSecond, LoadDuration + TimeSpan.FromSeconds(30), maxOutstanding: 2_000, ObservationDeadline);
        await Task.Delay(TimeSpan.FromSeconds(5));
        foreach (var silo in cluster.Silos)
        {
            var stoppingAt = load.Elapsed;
            await silo.StopAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, silo.ExitCode);
            await StartAgainAsync(silo);
            output.WriteLine($"{silo.Name}: stopped at {stoppingAt.TotalSeconds:0.0} s, serving again at {load.Elapsed.TotalSeconds:0.0} s");
        }

        await running;
        Report(load, cluster, "rolling restart of 3 silos");
        await AssertExactlyOnceAsync(cluster, load);
        Assert.Empty(load.NotRecovered());
    }

    /// <summary>
    /// Starts a stopped silo again as its supervisor (Kubernetes) would: a process that exits while starting is started
    /// once more, and the test output says so. Seen once in a CI run on a loaded machine: a restarted silo shut itself down
    /// during start-up; no acknowledged observation was affected, since the load retries until acknowledged.
    /// </summary>
    private async Task StartAgainAsync(SiloProcess silo)
    {
        for (var attempt = 1; ; attempt++)
        {
            silo.Start();
            try
            {
                await silo.WaitReadyAsync(ProcessCluster.StartTimeout);
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && !silo.IsRunning)
            {
                output.WriteLine($"{silo.Name} exited while starting (attempt {attempt}); starting it again, as its supervisor would");
            }
        }
    }

    /// <summary>Every goal counted exactly the observations acknowledged to it: none lost, none twice.</summary>
    private static async Task AssertExactlyOnceAsync(ProcessCluster cluster, AcknowledgedLoad load)
    {
        Assert.Equal(0, load.Abandoned);
        var wrong = new List<string>();
        foreach (var (goal, acknowledged) in load.Acknowledged.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var (ticks, processed) = await cluster.CountAsync(goal);
            if (ticks != acknowledged || processed != acknowledged)
            {
                wrong.Add($"{goal}: {acknowledged} acknowledged, counted {ticks}, processed {processed}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} goals do not match their acknowledgements:{Environment.NewLine}{string.Join(Environment.NewLine, wrong)}");
    }

    private void Report(AcknowledgedLoad load, ProcessCluster cluster, string what)
    {
        var latencies = load.AckMilliseconds.Order().ToArray();
        output.WriteLine($"{what}: {load.TotalAcknowledged} observations acknowledged in {load.Elapsed.TotalSeconds:0.0} s " +
            $"({load.TotalAcknowledged / load.Elapsed.TotalSeconds:0} /s), {load.FailedAttempts} attempts re-sent, {load.Abandoned} abandoned");
        if (latencies.Length > 0)
        {
            output.WriteLine($"acknowledgement latency: p50 {Percentile(latencies, 0.5):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, max {latencies[^1]:0} ms");
        }

        output.WriteLine($"silo logs: {cluster.LogDirectory}");
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Max(IEnumerable<TimeSpan> spans) => spans.Select(s => s.TotalSeconds).DefaultIfEmpty(0).Max();

    private static double Median(IEnumerable<TimeSpan> spans)
    {
        var sorted = spans.Select(s => s.TotalSeconds).Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
