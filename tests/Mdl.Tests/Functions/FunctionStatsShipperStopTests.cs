using System.Collections.Concurrent;
using System.Reflection;
using Mdl.Functions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mdl.Tests.Functions;

/// <summary>
/// The silo's stop and the shipper's timer can meet: the timer drains the queue just before the stop, so the stop finds
/// nothing left to ship. The stop must still wait for that batch and confirm it, or the silo deactivates the statistics
/// grain while the batch is on its way.
/// </summary>
public sealed class FunctionStatsShipperStopTests
{
    [Fact]
    public async Task A_stop_that_meets_the_timers_batch_on_its_way_waits_for_it_and_confirms_it()
    {
        var grain = new HeldStatsGrain();
        var shipper = new FunctionStatsShipper(new FunctionGrains(StatsOnlyFactory.Create(grain)), NullLogger<FunctionStatsShipper>.Instance);
        var lifecycle = new CapturedLifecycle();
        shipper.Participate(lifecycle);

        shipper.Add("f", new FunctionCallSample("succeeded", 1.5, 0, DateTimeOffset.UtcNow));
        await grain.BatchArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The timer's batch is held inside the grain; the silo stops meanwhile.
        var stop = lifecycle.StopAsync();
        grain.Release.SetResult();
        await stop.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["record 1", "get"], grain.Calls);
    }

    /// <summary>A statistics grain whose first batch waits until the test lets it go.</summary>
    private sealed class HeldStatsGrain : IFunctionStatsGrain
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public TaskCompletionSource BatchArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RecordManyAsync(FunctionCallSample[] samples)
        {
            BatchArrived.TrySetResult();
            await Release.Task;
            Calls.Enqueue($"record {samples.Length}");
        }

        public Task<FunctionStats> GetAsync()
        {
            Calls.Enqueue("get");
            return Task.FromResult(new FunctionStats());
        }
    }

    /// <summary>A grain factory that hands out one statistics grain and nothing else.</summary>
    private class StatsOnlyFactory : DispatchProxy
    {
        private IFunctionStatsGrain? _grain;

        public static IGrainFactory Create(IFunctionStatsGrain grain)
        {
            var factory = DispatchProxy.Create<IGrainFactory, StatsOnlyFactory>();
            ((StatsOnlyFactory)(object)factory)._grain = grain;
            return factory;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && targetMethod.GetGenericArguments()[0] == typeof(IFunctionStatsGrain)
                ? _grain
                : throw new NotSupportedException(targetMethod?.ToString());
    }

    /// <summary>Keeps the observers a participant subscribes, so the test can stop them.</summary>
    private sealed class CapturedLifecycle : ISiloLifecycle
    {
        private readonly List<ILifecycleObserver> _observers = [];

        public int HighestCompletedStage => ServiceLifecycleStage.Active;

        public int LowestStoppedStage => int.MaxValue;

        public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
        {
            _observers.Add(observer);
            return new CancellationTokenSource();
        }

        public Task StopAsync() => Task.WhenAll(_observers.Select(o => o.OnStop(CancellationToken.None)));
    }
}
