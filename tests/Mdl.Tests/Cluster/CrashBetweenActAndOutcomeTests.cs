using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Tests.Support;

namespace Mdl.Tests.Cluster;

/// <summary>
/// Exactly-once effects across a real crash: a silo process is killed with SIGKILL after its function acted (and the
/// worker recorded the result in the goal's state) but before the goal heard the outcome. Another silo reactivates the
/// goal from PostgreSQL, finds the decision still in flight (it was written ahead of the call) with the recorded result,
/// and applies that result instead of calling again: the effect — a line in a file outside the cluster — happened once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CrashBetweenActAndOutcomeTests(PostgresServer postgres) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _effects = Path.Combine(Path.GetTempPath(), $"mdl-effects-{Guid.NewGuid():N}.txt");
    private readonly string _held = Path.Combine(Path.GetTempPath(), $"mdl-held-{Guid.NewGuid():N}.txt");

    private static GoalDefinition Backlog => new()
    {
        Kind = "backlog",
        Objectives = [new ObjectiveDefinition { Metric = "backlog", Op = "<=", Target = 0, Weight = 1 }],
        Metrics = [new MetricMapping { Name = "backlog", From = "backlog.sample", Field = "depth", Aggregate = "last" }],
        AllowedFunctions = ["test.file-effect"],
        MaxInFlight = 1,
    };

    [Fact]
    public async Task A_silo_killed_after_the_function_acted_and_before_the_outcome_was_recorded_leaves_the_effect_done_once()
    {
        File.WriteAllText(_effects, "");
        var environment = new Dictionary<string, string> { ["MDL_TEST_EFFECTS_FILE"] = _effects };
        var holding = new Dictionary<string, string>(environment) { ["MDL_TEST_HOLD_FUNCTION_ANSWERS"] = _held };

        // One silo that never lets a function's answer reach its goal, and lists the answers it holds.
        await using var cluster = await ProcessCluster.StartAsync(
            await postgres.CreateDatabaseAsync("crash"), silos: 1, "crash", SiloBuild.WithTestFunctions, holding);
        var goalId = "backlog-1";
        var key = $"{goalId}/1";
        await cluster.Client.PutGoalAsync(goalId, Backlog);
        await cluster.Client.ObserveAsync(goalId, new Observation("backlog.sample", new { depth = 1 }));

        // The function acted: its effect is in the file. Its worker answered, which it does only once the result's record is
        // written to the goal's state in PostgreSQL: the snapshot shows the record as soon as the goal holds it in memory,
        // so it alone would let the kill below land before the write, where re-issuing is the promised behaviour.
        await Eventually.WaitAsync(() => Task.FromResult(Effects()), e => e.Contains(key), "the function's effect in the file", Bound);
        await Eventually.WaitAsync(() => Task.FromResult(Lines(_held)), h => h.Contains(key), "the worker's answer, held", Bound);
        var before = await Eventually.WaitAsync(
            () => cluster.Client.GetGoalAsync(goalId), s => s is { InFlight: [{ ResultRecorded: true }] }, "the goal's record of the result", Bound);
        Assert.Equal(key, Assert.Single(before!.InFlight).IdempotencyKey);

        cluster.Silos[0].Kill();

        // A silo without the hold takes over; touching the goal reactivates it from storage.
        var survivor = cluster.AddSilo(SiloBuild.WithTestFunctions, environment);
        await survivor.WaitReadyAsync(ProcessCluster.StartTimeout);
        var after = await Eventually.WaitAsync(
            () => cluster.TryGetGoalAsync(goalId), s => s is { InFlight.Length: 0, ActionsTaken: 1 }, "the re-issued call's outcome", Bound);

        var decision = (await cluster.Client.GetDecisionsAsync(goalId, 10)).Single(d => d.Seq == 1);
        Assert.Equal(key, decision.IdempotencyKey);
        Assert.Equal(OutcomeStatus.Succeeded, decision.Outcome!.Status);
        Assert.Equal([key], Effects());
        Assert.Equal(1, after!.ActionsTaken);

        // Both silos appended to the goal's audit chain in PostgreSQL, and it still verifies end to end.
        var audit = await Eventually.WaitAsync(
            () => cluster.Client.ReadAuditAsync(goalId), a => a.Any(e => e.Kind == "outcome"), "the outcome in the audit log", Bound);
        Assert.Equal(["definition", "decision", "call"], audit.Select(e => e.Kind).Distinct().Take(3));
        Assert.Single(audit, e => e.Kind == "outcome");
        var verification = await cluster.Client.VerifyAuditAsync(goalId);
        Assert.True(verification.Intact, $"audit chain broken at {verification.Break}");
        Assert.Equal(audit.Length, verification.Entries);
    }

    public void Dispose()
    {
        File.Delete(_effects);
        File.Delete(_held);
    }

    private string[] Effects() => Lines(_effects);

    private static string[] Lines(string path) => File.Exists(path)
        ? File.ReadAllLines(path).Where(l => l.Length > 0).ToArray()
        : [];
}
