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

    /// <summary>The history as stored: the pages the goal would read, merged by sequence number, oldest first.</summary>
    private async Task<DecisionRecord[]> StoredHistoryAsync(string id)
    {
        var index = await DecisionHistoryStorage.LoadIndexAsync(Storage, GoalGrainId(id), keep: int.MaxValue);
        var merged = new DecisionArchive();
        foreach (var page in index.Pages)
        {
            merged.MergeFrom((await DecisionHistoryStorage.ReadAsync(Storage, GoalGrainId(id), page.Slot)).State.Decisions);
        }

        return [.. merged];
    }

    /// <summary>Each stored page's decisions, as stored (not merged), by slot.</summary>
    private async Task<DecisionArchive[]> StoredPagesAsync(string id)
    {
        var index = await DecisionHistoryStorage.LoadIndexAsync(Storage, GoalGrainId(id), keep: int.MaxValue);
        var pages = new List<DecisionArchive>();
        foreach (var page in index.Pages)
        {
            pages.Add((await DecisionHistoryStorage.ReadAsync(Storage, GoalGrainId(id), page.Slot)).State.Decisions);
        }

        return [.. pages];
    }

    private Task WritePageAsync(string id, int slot, DecisionHistoryState page) =>
        Storage.WriteStateAsync(DecisionHistoryStorage.PageStateName(slot), GoalGrainId(id), new GrainState<DecisionHistoryState>(page));

    [Fact]
    public async Task A_decision_moves_to_the_history_once_with_its_outcome_and_stays_in_the_state_while_its_call_is_in_flight()
    {
        var id = Definitions.NewGoalId("late");
        TestFunctionLog.Hold(id);
        try
        {
            await Goal(id).PutDefinitionAsync(Definitions.Queue());
            await Goal(id).ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);

            // Longer than the history write delay (2 s): a settled decision would have moved by now; this one waits.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Empty(await StoredPagesAsync(id));
            var snapshot = await Goal(id).GetSnapshotAsync();
            Assert.Equal(1, snapshot!.LastDecision?.Seq);
            Assert.Null(snapshot.LastDecision!.Outcome);
        }
        finally
        {
            TestFunctionLog.Release(id);
        }

        var stored = await Eventually.WaitAsync(
            () => StoredHistoryAsync(id), h => h.Any(d => d.Seq == 1), "decision 1 in the stored history", TimeSpan.FromSeconds(15));

        // Stored once, settled, on the full record (candidates, reason, trigger kept); the snapshot reads it back.
        var completed = Assert.Single(stored, d => d.Seq == 1);
        Assert.Equal(OutcomeStatus.Succeeded, completed.Outcome!.Status);
        Assert.Equal("test.drain", completed.Chosen);
        Assert.NotEmpty(completed.Candidates);
        Assert.Equal("queue.sample", completed.Trigger.Kind);
        Assert.Single((await StoredPagesAsync(id)).SelectMany(page => page), d => d.Seq == 1);
        var decisions = await Goal(id).GetDecisionsAsync(50);
        Assert.Equal(decisions.Length, decisions.Select(d => d.Seq).Distinct().Count());
        Assert.Equal(completed.Reason, decisions.Single(d => d.Seq == 1).Reason);
        var newest = (await Goal(id).GetSnapshotAsync())!.LastDecision;
        Assert.Equal(decisions[0].Seq, newest?.Seq);
        Assert.Equal(decisions[0].Candidates.Length, newest!.Candidates.Length);
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

    [Fact]
    public async Task A_decision_stored_in_two_pages_is_seen_once_with_its_outcome_and_the_older_history_beneath()
    {
        // What a crash between a page's write and the state's leaves behind: the decisions archived again into a later page.
        // Here decision 3 also gained its outcome in between.
        var id = Definitions.NewGoalId("paged-history");
        var settled = new DecisionRecord { Seq = 3, GoalId = id, Reason = "third", Outcome = new ActionOutcome { Status = OutcomeStatus.Succeeded } };
        await Storage.WriteStateAsync("decisions", GoalGrainId(id), new GrainState<DecisionHistoryState>(new DecisionHistoryState
        {
            Decisions = [new DecisionRecord { Seq = 1, GoalId = id, Reason = "first" }],
        }));
        await WritePageAsync(id, 0, new DecisionHistoryState
        {
            Page = 1,
            Decisions = [new DecisionRecord { Seq = 2, GoalId = id, Reason = "second" }, settled with { Outcome = null }],
        });
        await WritePageAsync(id, 1, new DecisionHistoryState
        {
            Page = 2,
            Decisions = [new DecisionRecord { Seq = 2, GoalId = id, Reason = "second" }, settled, new DecisionRecord { Seq = 4, GoalId = id, Reason = "fourth" }],
        });

        var decisions = await Goal(id).GetDecisionsAsync(10);

        Assert.Equal(["fourth", "third", "second", "first"], decisions.Select(d => d.Reason));
        Assert.Equal(OutcomeStatus.Succeeded, decisions[1].Outcome?.Status);
        Assert.Equal(4, (await Goal(id).GetDecisionsAsync(2))[0].Seq);
        Assert.Equal(["fourth", "third"], (await Goal(id).GetDecisionsAsync(2)).Select(d => d.Reason));
    }
}
