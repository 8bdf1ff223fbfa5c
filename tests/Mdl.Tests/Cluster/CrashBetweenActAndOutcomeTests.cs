using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Tests.Support;

namespace Mdl.Tests.Cluster;

/// <summary>
/// Effects across a real crash: a silo process is killed with SIGKILL after its external function acted and before the
/// goal heard the outcome, and another silo reactivates the goal from PostgreSQL, finds the decision still in flight (it
/// was written ahead of the call) and re-issues it with its idempotency key. The effect is a line in a file outside the
/// cluster, so the test counts how often it really happened.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CrashBetweenActAndOutcomeTests(PostgresServer postgres) : IDisposable
{
    /// <summary>The goal every crash test defines.</summary>
    internal const string GoalId = "backlog-1";

    /// <summary>The idempotency key of its one call.</summary>
    internal const string Key = $"{GoalId}/1";

    /// <summary>test.file-effect's timeout, in milliseconds (FileEffectFunction.TimeoutVariable in the test silo).</summary>
    internal const string FileEffectTimeoutVariable = "MDL_TEST_FILE_EFFECT_TIMEOUT_MS";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // The call's timeout and grace, the survivor's start, and its wait for the dead silo to be declared dead.
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(120);

    private readonly string _effects = Path.Combine(Path.GetTempPath(), $"mdl-effects-{Guid.NewGuid():N}.txt");
    private readonly string _held = Path.Combine(Path.GetTempPath(), $"mdl-held-{Guid.NewGuid():N}.txt");

    /// <summary>A goal that calls test.file-effect once for a backlog sample of depth 1.</summary>
    internal static GoalDefinition Backlog => new()
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
        // The worker's answer is held: it comes only once the result's record is written to the goal's state in
        // PostgreSQL. (The snapshot alone would not do: it shows the record as soon as the goal holds it in memory, so the
        // kill could land before the write, where re-issuing is the promised behaviour; the test below has that case.)
        await using var cluster = await StartHoldingAsync("MDL_TEST_HOLD_FUNCTION_ANSWERS");
        var before = await Eventually.WaitAsync(
            () => cluster.Client.GetGoalAsync(GoalId), s => s is { InFlight: [{ ResultRecorded: true }] }, "the goal's record of the result", Bound);
        Assert.Equal(Key, Assert.Single(before!.InFlight).IdempotencyKey);

        await KillAndTakeOverAsync(cluster);

        // The record answered the re-issued call: the function did not run again.
        Assert.Equal([Key], Effects());
        await AssertOneSucceededOutcomeAsync(cluster);
    }

    [Fact]
    public async Task A_silo_killed_after_the_function_acted_and_before_its_result_was_recorded_reissues_the_call_marked_as_reissued()
    {
        // The worker never records the result: the crash falls in the one window an external effect can repeat in.
        await using var cluster = await StartHoldingAsync("MDL_TEST_HOLD_RESULT_RECORDS");
        var before = await cluster.Client.GetGoalAsync(GoalId);
        Assert.Equal(Key, Assert.Single(before!.InFlight, a => !a.ResultRecorded).IdempotencyKey);

        await KillAndTakeOverAsync(cluster);

        // Nothing said the function had acted, so it ran again, told that this call is a re-issue (and with the same key),
        // which is what a function whose effect must never repeat checks; the goal applied one outcome.
        Assert.Equal([Key, $"{Key} reissued"], Effects());
        await AssertOneSucceededOutcomeAsync(cluster);
    }

    [Fact]
    public async Task A_goal_whose_silo_died_with_a_call_in_flight_reissues_it_though_nothing_calls_the_goal()
    {
        // The call times out after 15 s, and the goal's silo stores it as overdue 1 s after that; the survivor looks for
        // overdue goals every second.
        await using var cluster = await StartHoldingAsync(
            "MDL_TEST_HOLD_RESULT_RECORDS", new() { [FileEffectTimeoutVariable] = "15000", ["Mdl__Recovery__Grace"] = "00:00:01" });
        cluster.Silos[0].Kill();
        var survivor = cluster.AddSilo(SiloBuild.WithTestFunctions, new Dictionary<string, string>
        {
            ["MDL_TEST_EFFECTS_FILE"] = _effects,
            ["Mdl__Recovery__SweepPeriod"] = "00:00:01",
        });
        await survivor.WaitReadyAsync(ProcessCluster.StartTimeout);

        // Nothing calls the goal: no observation, no snapshot, no worker answer. The survivor finds it in PostgreSQL as
        // overdue, activates it, and the activation re-issues the call.
        await Eventually.WaitAsync(
            () => Task.FromResult(Effects()), e => e.Length > 1, "the call re-issued by the survivor's goal recovery", RecoveryBound);
        Assert.Equal([Key, $"{Key} reissued"], Effects());

        await Eventually.WaitAsync(
            () => cluster.TryGetGoalAsync(GoalId), s => s is { InFlight.Length: 0, ActionsTaken: 1 }, "the re-issued call's outcome", Bound);
        await AssertOneSucceededOutcomeAsync(cluster);
    }

    public void Dispose()
    {
        File.Delete(_effects);
        File.Delete(_held);
    }

    /// <summary>
    /// One silo that holds calls at the point <paramref name="holdVariable"/> names (with <paramref name="environment"/>
    /// besides), a goal that calls test.file-effect once, and a wait until the effect is in the file and the call is held.
    /// </summary>
    private async Task<ProcessCluster> StartHoldingAsync(string holdVariable, Dictionary<string, string>? environment = null)
    {
        File.WriteAllText(_effects, "");
        var holding = new Dictionary<string, string>(environment ?? []) { ["MDL_TEST_EFFECTS_FILE"] = _effects, [holdVariable] = _held };
        var cluster = await ProcessCluster.StartAsync(
            await postgres.CreateDatabaseAsync("crash"), silos: 1, "crash", SiloBuild.WithTestFunctions, holding);
        try
        {
            await cluster.Client.PutGoalAsync(GoalId, Backlog);
            await cluster.Client.ObserveAsync(GoalId, new Observation("backlog.sample", new { depth = 1 }));
            await Eventually.WaitAsync(() => Task.FromResult(Effects()), e => e.Contains(Key), "the function's effect in the file", Bound);
            await Eventually.WaitAsync(() => Task.FromResult(Lines(_held)), h => h.Contains(Key), "the held call", Bound);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the holding silo, starts one without the hold, and waits until the goal has applied its outcome.</summary>
    private async Task KillAndTakeOverAsync(ProcessCluster cluster)
    {
        cluster.Silos[0].Kill();

        // Touching the goal reactivates it from storage on the new silo.
        var survivor = cluster.AddSilo(SiloBuild.WithTestFunctions, new Dictionary<string, string> { ["MDL_TEST_EFFECTS_FILE"] = _effects });
        await survivor.WaitReadyAsync(ProcessCluster.StartTimeout);
        await Eventually.WaitAsync(
            () => cluster.TryGetGoalAsync(GoalId), s => s is { InFlight.Length: 0, ActionsTaken: 1 }, "the re-issued call's outcome", Bound);
    }

    private static async Task AssertOneSucceededOutcomeAsync(ProcessCluster cluster)
    {
        var decision = (await cluster.Client.GetDecisionsAsync(GoalId, 10)).Single(d => d.Seq == 1);
        Assert.Equal(Key, decision.IdempotencyKey);
        Assert.Equal(OutcomeStatus.Succeeded, decision.Outcome!.Status);

        // Both silos appended to the goal's audit chain in PostgreSQL, and it still verifies end to end.
        var audit = await Eventually.WaitAsync(
            () => cluster.Client.ReadAuditAsync(GoalId), a => a.Any(e => e.Kind == "outcome"), "the outcome in the audit log", Bound);
        Assert.Equal(["definition", "decision", "call"], audit.Select(e => e.Kind).Distinct().Take(3));
        Assert.Single(audit, e => e.Kind == "outcome");
        var verification = await cluster.Client.VerifyAuditAsync(GoalId);
        Assert.True(verification.Intact, $"audit chain broken at {verification.Break}");
        Assert.Equal(audit.Length, verification.Entries);
    }

    private string[] Effects() => Lines(_effects);

    /// <summary>The file's non-empty lines; none when it does not exist.</summary>
    internal static string[] Lines(string path) => File.Exists(path)
        ? File.ReadAllLines(path).Where(l => l.Length > 0).ToArray()
        : [];
}
