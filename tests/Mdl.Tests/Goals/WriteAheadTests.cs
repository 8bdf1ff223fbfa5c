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
    public async Task A_goal_whose_calls_come_back_before_its_write_keeps_its_history_between_archives()
    {
        // Each loop's idempotent call comes back before the write that archives its decision, so at the archive nothing
        // is in flight: the goal must still count as busy, or it reads (and decodes) its whole history back every time.
        var id = Definitions.NewGoalId("ahead-busy");
        await Goal(id).PutDefinitionAsync(Definitions.Queue());

        const int loops = 8;
        for (var loop = 1; loop <= loops; loop++)
        {
            await Goal(id).ObserveAsync([Depth(10), Depth(15)]);
            await Eventually.WaitAsync(
                () => Goal(id).GetSnapshotAsync(),
                s => s!.DecisionsMade == loop && s.InFlight.Length == 0,
                $"drain {loop} done and fed back");
        }

        Assert.Equal(loops, (await Goal(id).GetDecisionsAsync(loops)).Length);
        Assert.InRange(HeldWritesStorage.HistoryReads(id), 1, 2);
    }

    /// <summary>A test cluster whose goal storage holds the writes of chosen goals until a test releases them.</summary>
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
    /// when told to, and counts history reads.
    /// </summary>
    private sealed class HeldWritesStorage(IGrainStorage inner) : IGrainStorage
    {
        private static readonly ConcurrentDictionary<string, (TaskCompletionSource Started, TaskCompletionSource Gate)> Held = new();
        private static readonly ConcurrentDictionary<string, bool> Refused = new();
        private static readonly ConcurrentDictionary<string, int> HistoryReadCounts = new();

        /// <summary>How many times <paramref name="goalId"/>'s decision history was read from storage.</summary>
        public static int HistoryReads(string goalId) => HistoryReadCounts.GetValueOrDefault(goalId);

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

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (stateName == DecisionHistoryStorage.StateName)
            {
                HistoryReadCounts.AddOrUpdate(grainId.Key.ToString(), 1, (_, n) => n + 1);
            }

            return inner.ReadStateAsync(stateName, grainId, grainState);
        }

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
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            inner.ClearStateAsync(stateName, grainId, grainState);
    }
}
