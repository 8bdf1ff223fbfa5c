using System.Collections.Concurrent;
using Mdl.Goals;
using Mdl.Hosting;
using Mdl.Observations;
using Mdl.Storage;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Mdl.Tests.Goals;

/// <summary>
/// When a decision's call goes out relative to the write that makes the decision durable: calls of external functions
/// wait for it (write-ahead); calls of idempotent functions, which are harmless to repeat, go out while it is written.
/// Either way the observation is acknowledged only once the write is done, and each call is made once.
/// </summary>
public sealed class WriteAheadTests(WriteAheadTests.HeldWritesCluster fixture) : IClassFixture<WriteAheadTests.HeldWritesCluster>
{
    private IGoalGrain Goal(string id) => fixture.Client.GetGrain<IGoalGrain>(id);

    private static Observation Depth(double depth) => new("queue.sample", new { depth });

    [Fact]
    public async Task An_idempotent_function_is_called_while_its_decision_is_written_and_the_ack_waits_for_the_write()
    {
        var id = Definitions.NewGoalId("ahead-idem");
        await Goal(id).PutDefinitionAsync(Definitions.Queue());
        HeldWritesStorage.Hold(id);

        var ack = Goal(id).ObserveAsync([Depth(20)]);

        try
        {
            // Both drains: the first call's outcome decides the second, and neither waits for the held write.
            await Eventually.WaitAsync(() => Task.FromResult(TestFunctionLog.CallsFor(id)), calls => calls.Length == 2, "both calls, while the write is held");
            await HeldWritesStorage.WriteStarted(id).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(ack.IsCompleted, "the observation was acknowledged before its write was done");
        }
        finally
        {
            HeldWritesStorage.Release(id);
        }

        Assert.Equal(new ObserveReceipt(1, 0), await ack);
        var snapshot = await Eventually.WaitAsync(
            () => Goal(id).GetSnapshotAsync(),
            s => s!.DecisionsMade == 2 && s.InFlight.Length == 0,
            "both drains done and fed back");
        Assert.Equal([$"{id}/1", $"{id}/2"], TestFunctionLog.CallsFor(id).Select(c => c.IdempotencyKey));
        Assert.Equal(10, snapshot!.Objectives[0].Projected);
    }

    [Fact]
    public async Task An_external_function_is_called_only_once_its_decision_is_written()
    {
        var id = Definitions.NewGoalId("ahead-ext");
        await Goal(id).PutDefinitionAsync(Definitions.Queue(functions: ["test.ship"]));
        HeldWritesStorage.Hold(id);

        var ack = Goal(id).ObserveAsync([Depth(20)]);

        try
        {
            await HeldWritesStorage.WriteStarted(id).WaitAsync(TimeSpan.FromSeconds(10));

            // An idempotent call goes out before the write even starts (the test above); this one must wait for it.
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            Assert.Empty(TestFunctionLog.CallsFor(id));
            Assert.False(ack.IsCompleted, "the observation was acknowledged before its write was done");
        }
        finally
        {
            HeldWritesStorage.Release(id);
        }

        Assert.Equal(new ObserveReceipt(1, 0), await ack);
        await Eventually.WaitAsync(
            () => Goal(id).GetSnapshotAsync(),
            s => s!.DecisionsMade == 2 && s.InFlight.Length == 0,
            "both shipments done and fed back");
        Assert.Equal([$"{id}/1", $"{id}/2"], TestFunctionLog.CallsFor(id).Select(c => c.IdempotencyKey));
    }

    [Fact]
    public async Task A_state_write_storage_refuses_is_not_acknowledged_and_leaves_nothing_behind()
    {
        var id = Definitions.NewGoalId("ahead-refused");
        await Goal(id).PutDefinitionAsync(Definitions.Queue(functions: ["test.ship"]));
        HeldWritesStorage.RefuseNextWrite(id);
        var observation = Depth(20);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => Goal(id).ObserveAsync([observation]));
        Assert.Contains("the storage refused the write", refused.ToString(), StringComparison.Ordinal);

        // The external call waited for the write that failed, so it never went out; the goal drops what it decided and
        // reloads what storage holds, so the same observation sent again is new to it and acted on once.
        Assert.Empty(TestFunctionLog.CallsFor(id));
        Assert.Equal(new ObserveReceipt(1, 0), await Goal(id).ObserveAsync([observation]));
        await Eventually.WaitAsync(
            () => Goal(id).GetSnapshotAsync(),
            s => s!.DecisionsMade == 2 && s.InFlight.Length == 0,
            "both shipments done and fed back");
        Assert.Equal([$"{id}/1", $"{id}/2"], TestFunctionLog.CallsFor(id).Select(c => c.IdempotencyKey));
        Assert.Equal(new ObserveReceipt(0, 1), await Goal(id).ObserveAsync([observation]));
    }

    [Fact]
    public async Task A_goal_moves_each_batch_to_its_history_as_a_page_written_once_without_reading_the_history_back()
    {
        // Each loop's idempotent call comes back before the write that archives its decision; a batch here is one decision.
        var id = Definitions.NewGoalId("ahead-busy");
        await Goal(id).PutDefinitionAsync(Definitions.Queue());

        const int loops = 8;
        await DrainAndArchiveAsync(id, loops);

        // One page per batch (of one decision, or two when the next was written before the first moved), each page
        // written once, in the lowest free slots: nothing was read back and rewritten.
        var writes = HeldWritesStorage.HistoryWrites(id);
        Assert.Equal(Enumerable.Range(0, writes.Count).Select(DecisionHistoryStorage.PageStateName).Order(), writes.Keys.Order());
        Assert.All(writes.Values, count => Assert.Equal(1, count));
        Assert.Equal(loops, (await Goal(id).GetDecisionsAsync(loops)).Length);
    }

    [Fact]
    public async Task A_history_longer_than_its_length_keeps_the_newest_decisions_and_writes_new_pages_over_the_oldest()
    {
        var id = Definitions.NewGoalId("ahead-long");
        await Goal(id).PutDefinitionAsync(Definitions.Queue());

        // Pages of one decision (this cluster archives every write at once) and a history of 50: 56 decisions.
        const int loops = 56;
        await DrainAndArchiveAsync(id, loops);

        var decisions = await Goal(id).GetDecisionsAsync(100);
        Assert.Equal(Enumerable.Range(loops - 49, 50).Reverse().Select(seq => (long)seq), decisions.Select(d => d.Seq));
        Assert.All(decisions, d => Assert.NotNull(d.Outcome));

        // Once newer pages held 50 decisions, the oldest page was let go and a later page went over its slot.
        var writes = HeldWritesStorage.HistoryWrites(id);
        Assert.InRange(writes.Count, 1, 51);
        Assert.True(writes.Values.Sum() > writes.Count, $"no slot was written over: {string.Join(", ", writes)}");
    }

    /// <summary>Makes <paramref name="loops"/> decisions one after another, each fed back, and waits until all are in the history.</summary>
    private async Task DrainAndArchiveAsync(string id, int loops)
    {
        for (var loop = 1; loop <= loops; loop++)
        {
            await Goal(id).ObserveAsync([Depth(10), Depth(15)]);
            await Eventually.WaitAsync(
                () => Goal(id).GetSnapshotAsync(),
                s => s!.DecisionsMade == loop && s.InFlight.Length == 0,
                $"drain {loop} done and fed back");
        }

        await Eventually.WaitAsync(
            () => Task.FromResult(HeldWritesStorage.ArchivedSeqs(id)),
            seqs => Enumerable.Range(1, loops).All(seq => seqs.Contains(seq)),
            $"decisions 1 to {loops} in the history");
    }

    public sealed class HeldWritesCluster : OneSiloCluster
    {
        /// <inheritdoc />
        protected override void Configure(TestClusterBuilder builder) => builder.AddSiloBuilderConfigurator<SiloConfigurator>();

        private sealed class SiloConfigurator : ISiloConfigurator
        {
            public void Configure(ISiloBuilder siloBuilder)
            {
                LoopBasics(siloBuilder).ConfigureServices(services =>
                {
                    // Registered last, this keyed registration is the one grains resolve.
                    var memory = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Goals));
                    services.AddGrainStorage(StorageNames.Goals, (provider, name) =>
                        new HeldWritesStorage((IGrainStorage)memory.KeyedImplementationFactory!(provider, name)));
                    services
                        .AddMdlGrains(options => options.HistoryWriteBatch = 1) // every write archives at once
                        .AddMdlFunction<DrainFunction>()
                        .AddMdlFunction<ShipFunction>();
                });
            }
        }
    }

    /// <summary>
    /// Grain storage that holds every write of a held goal until <see cref="Release"/>, refuses a goal's next state write
    /// when told to, and counts history writes.
    /// </summary>
    private sealed class HeldWritesStorage(IGrainStorage inner) : IGrainStorage
    {
        private static readonly ConcurrentDictionary<string, (TaskCompletionSource Started, TaskCompletionSource Gate)> Held = new();
        private static readonly ConcurrentDictionary<string, bool> Refused = new();
        private static readonly ConcurrentDictionary<string, ConcurrentDictionary<string, int>> HistoryWriteCounts = new();

        private static readonly ConcurrentDictionary<string, ConcurrentDictionary<long, bool>> ArchivedSeqCounts = new();

        /// <summary>The decisions of <paramref name="goalId"/> written to its history.</summary>
        public static IReadOnlySet<long> ArchivedSeqs(string goalId) =>
            ArchivedSeqCounts.TryGetValue(goalId, out var seqs) ? seqs.Keys.ToHashSet() : [];

        /// <summary>How many times each page of <paramref name="goalId"/>'s decision history was written, by state name.</summary>
        public static IReadOnlyDictionary<string, int> HistoryWrites(string goalId) =>
            HistoryWriteCounts.TryGetValue(goalId, out var counts) ? new Dictionary<string, int>(counts) : [];

        public static void Hold(string goalId) =>
            Held[goalId] = (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously));

        /// <summary>Completes once a write of the held goal has reached the storage.</summary>
        public static Task WriteStarted(string goalId) => Held[goalId].Started.Task;

        /// <summary>Makes the next write of <paramref name="goalId"/>'s state fail.</summary>
        public static void RefuseNextWrite(string goalId) => Refused[goalId] = true;

        public static void Release(string goalId)
        {
            if (Held.TryRemove(goalId, out var held))
            {
                held.Gate.TrySetResult();
            }
        }

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            inner.ReadStateAsync(stateName, grainId, grainState);

        public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (stateName == GoalGrain.StateName && Refused.TryRemove(grainId.Key.ToString(), out _))
            {
                throw new InvalidOperationException("the storage refused the write");
            }

            if (Held.TryGetValue(grainId.Key.ToString(), out var held))
            {
                held.Started.TrySetResult();
                await held.Gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }

            await inner.WriteStateAsync(stateName, grainId, grainState);
            if (stateName.StartsWith(DecisionHistoryStorage.StateName, StringComparison.Ordinal))
            {
                HistoryWriteCounts.GetOrAdd(grainId.Key.ToString(), _ => new()).AddOrUpdate(stateName, 1, (_, n) => n + 1);
                foreach (var decision in (grainState.State as DecisionHistoryState)?.Decisions ?? [])
                {
                    ArchivedSeqCounts.GetOrAdd(grainId.Key.ToString(), _ => new())[decision.Seq] = true;
                }
            }
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            inner.ClearStateAsync(stateName, grainId, grainState);
    }
}
