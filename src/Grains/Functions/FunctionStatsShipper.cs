using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mdl.Functions;

/// <summary>
/// Carries this silo's finished calls to each function's cluster-wide statistics grain in batches: at most one message
/// per function per <see cref="Interval"/>, instead of one per call to a single grain that every goal of the cluster
/// calls into. Nothing runs while no call finishes, so an idle silo has no timer for it.
/// </summary>
/// <remarks>
/// When the silo stops, what waits is shipped at once, while the cluster still places grains on this silo, and calls that
/// finish after that are not shipped: a batch sent later would only fail to be placed (Orleans logs that as an error, as
/// the statistics message is one-way) and be lost anyway.
/// </remarks>
public sealed partial class FunctionStatsShipper(FunctionGrains grains, ILogger<FunctionStatsShipper> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How long a finished call waits before it is shipped: the statistics lag live calls by at most this.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, ConcurrentQueue<FunctionCallSample>> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _scheduled;
    private volatile bool _stopped;

    // The timer's batch on its way, if any: the silo's stop waits for it and confirms it like its own last batch.
    private Task<List<string>> _shipping = Task.FromResult(new List<string>());

    /// <summary>Queues a finished call of <paramref name="function"/> for its statistics grain.</summary>
    public void Add(string function, FunctionCallSample sample)
    {
        if (_stopped)
        {
            return;
        }

        _pending.GetOrAdd(function, static _ => new ConcurrentQueue<FunctionCallSample>()).Enqueue(sample);
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            _ = ShipLaterAsync();
        }
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(FunctionStatsShipper), ServiceLifecycleStage.Active, _ => Task.CompletedTask, StopAsync);

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        Task<List<string>> timerBatch;
        lock (_gate)
        {
            _stopped = true;
            timerBatch = _shipping;
        }

        // A batch the timer drained just before the stop is not in the queues any more: without waiting for it and
        // confirming it, the silo would go on to deactivate the statistics grain while the batch is still on its way.
        var shipped = new List<string>(await timerBatch.ConfigureAwait(false));
        shipped.AddRange(await ShipAsync().ConfigureAwait(false));
        foreach (var function in shipped.Distinct(StringComparer.Ordinal))
        {
            try
            {
                // The batch is one-way: a read behind it on the same grain returns once the grain has taken it, so the
                // silo does not go on to deactivate its grains while the batch is still on its way.
                await grains.Stats(function).GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                LogStopShipUnconfirmed(logger, exception, function);
            }
        }
    }

    private async Task ShipLaterAsync()
    {
        await Task.Delay(Interval).ConfigureAwait(false);

        // Reopened before draining: a call that finishes from here on schedules the next batch itself.
        Volatile.Write(ref _scheduled, 0);
        var batch = new TaskCompletionSource<List<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _shipping = batch.Task;
        }

        try
        {
            batch.SetResult(await ShipAsync().ConfigureAwait(false));
        }
        catch (Exception exception)
        {
            batch.SetException(exception);
            throw;
        }
    }

    /// <summary>Sends what waits, one batch per function; returns the functions a batch was sent for.</summary>
    private async Task<List<string>> ShipAsync()
    {
        var shipped = new List<string>();
        foreach (var (function, queue) in _pending)
        {
            var batch = new List<FunctionCallSample>();
            while (queue.TryDequeue(out var sample))
            {
                batch.Add(sample);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await grains.Stats(function).RecordManyAsync([.. batch]).ConfigureAwait(false);
                shipped.Add(function);
            }
            catch (Exception exception)
            {
                // Statistics are advisory (the goals decide on this silo's own FunctionStatsBook): a lost batch is logged, not retried.
                LogShipFailed(logger, exception, batch.Count, function);
            }
        }

        return shipped;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record {Count} finished calls of {Function} in its statistics")]
    private static partial void LogShipFailed(ILogger logger, Exception exception, int count, string function);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The silo stops without knowing whether the last finished calls of {Function} reached its statistics")]
    private static partial void LogStopShipUnconfirmed(ILogger logger, Exception exception, string function);
}
