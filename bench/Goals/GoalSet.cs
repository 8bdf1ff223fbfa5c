using Mdl.Bench.Functions;
using Mdl.Bench.Reporting;
using Mdl.Goals;

namespace Mdl.Bench.Goals;

/// <summary>A set of benchmark goals, defined through the client like any user would.</summary>
internal sealed class GoalSet(IClusterClient client, string prefix, int count)
{
    private readonly GrainReferences<IGoalGrain> _goals = new(client);

    /// <summary>The goal ids.</summary>
    public string[] Ids { get; } = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToArray();

    /// <summary>The goal grain for <paramref name="goalId"/>, through the client, made as the SDK makes it.</summary>
    public IGoalGrain Goal(string goalId) => _goals.For(goalId);

    /// <summary>Puts <paramref name="definition"/> on every goal, <paramref name="parallelism"/> at a time.</summary>
    public Task DefineAsync(GoalDefinition definition, int parallelism = 64) =>
        Parallel.ForEachAsync(Ids, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (id, _) =>
            await Waits.Bounded(Goal(id).PutDefinitionAsync(definition), $"defining goal {id}"));

    /// <summary>
    /// One full loop on <paramref name="goalId"/>, outside any measurement: a confirming reading, then a low one; returns
    /// once the function ran and its outcome is written. Leaves the goal warm and in the state every sample starts from.
    /// </summary>
    public async Task LoopOnceAsync(string goalId)
    {
        var goal = Goal(goalId);
        var run = BenchSignals.ExpectRun(goalId);
        var ack = goal.ObserveAsync([BenchDefinitions.Confirm(), BenchDefinitions.Trigger()]);
        var ran = await Waits.Run(run, goalId);
        await Waits.Bounded(ack, $"the acknowledgement of {goalId}");
        await Waits.Bounded(ran.OutcomeApplied, $"the outcome of {goalId}");
    }

    /// <summary>Runs <see cref="LoopOnceAsync"/> on every goal, <paramref name="parallelism"/> at a time.</summary>
    public Task WarmAsync(int parallelism = 64) =>
        Parallel.ForEachAsync(Ids, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (id, _) => await LoopOnceAsync(id));
}
