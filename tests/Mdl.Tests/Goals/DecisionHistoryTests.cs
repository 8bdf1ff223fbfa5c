using Mdl.Decisions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Storage;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Mdl.Tests.Goals;

/// <summary>
/// The decision history on a test cluster: kept in storage, not in the goal's activation, so views and late outcomes
/// read it there.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DecisionHistoryTests(ClusterFixture fixture)
{
    private IGoalGrain Goal(string id) => fixture.Client.GetGrain<IGoalGrain>(id);

    private IGrainStorage Storage =>
        ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost!.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Goals);

    private static GrainId GoalGrainId(string id) => GrainId.Create(GoalGrain.GrainTypeName, id);

    /// <summary>The history as stored, read the way the goal's persistent state read it before: state name "decisions".</summary>
    private async Task<DecisionRecord[]> StoredHistoryAsync(string id)
    {
        var stored = new GrainState<DecisionHistoryState>(new DecisionHistoryState());
        await Storage.ReadStateAsync("decisions", GoalGrainId(id), stored);
        return [.. stored.State?.Decisions ?? []];
    }

    [Fact]
    public async Task An_outcome_that_comes_back_after_its_decision_moved_to_the_history_is_recorded_on_the_archived_record()
    {
        var id = Definitions.NewGoalId("late");
        TestFunctionLog.Hold(id);
        try
        {
            await Goal(id).PutDefinitionAsync(Definitions.Queue());
            await Goal(id).ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);

            // The call is held; the decision moves to the history within the history write delay (2 s).
            var archived = await Eventually.WaitAsync(
                () => StoredHistoryAsync(id), h => h.Any(d => d.Seq == 1), "decision 1 in the stored history", TimeSpan.FromSeconds(15));
            var first = archived.Single(d => d.Seq == 1);
            Assert.Equal("test.drain", first.Chosen);
            Assert.Null(first.Outcome);

            // The snapshot reads the newest decision back from the history.
            var snapshot = await Goal(id).GetSnapshotAsync();
            Assert.Equal(1, snapshot!.LastDecision?.Seq);
            Assert.Equal(first.Candidates.Length, snapshot.LastDecision!.Candidates.Length);
        }
        finally
        {
            TestFunctionLog.Release(id);
        }

        var decisions = await Eventually.WaitAsync(
            () => Goal(id).GetDecisionsAsync(50), d => d.Any(x => x.Seq == 1 && x.Outcome is not null), "the outcome of decision 1");
        var stored = await Eventually.WaitAsync(
            () => StoredHistoryAsync(id), h => h.Any(d => d.Seq == 1 && d.Outcome is not null), "the outcome in the stored history", TimeSpan.FromSeconds(15));

        // One record per decision, and the late outcome sits on the full record (candidates, reason, trigger kept).
        Assert.Equal(decisions.Length, decisions.Select(d => d.Seq).Distinct().Count());
        Assert.Equal(stored.Length, stored.Select(d => d.Seq).Distinct().Count());
        var completed = stored.Single(d => d.Seq == 1);
        Assert.Equal(OutcomeStatus.Succeeded, completed.Outcome!.Status);
        Assert.NotEmpty(completed.Candidates);
        Assert.Equal("queue.sample", completed.Trigger.Kind);
        Assert.Equal(completed.Reason, decisions.Single(d => d.Seq == 1).Reason);
        Assert.NotEmpty(decisions.Single(d => d.Seq == 1).Candidates);
    }

    [Fact]
    public async Task A_history_stored_by_the_goal_s_earlier_persistent_state_is_read_as_before()
    {
        var id = Definitions.NewGoalId("stored-history");
        var history = new DecisionHistoryState
        {
            Decisions = [new DecisionRecord { Seq = 1, GoalId = id, Reason = "first" }, new DecisionRecord { Seq = 2, GoalId = id, Reason = "second" }],
        };
        await Storage.WriteStateAsync("decisions", GoalGrainId(id), new GrainState<DecisionHistoryState>(history));

        var decisions = await Goal(id).GetDecisionsAsync(10);

        Assert.Equal(["second", "first"], decisions.Select(d => d.Reason));
    }
}
