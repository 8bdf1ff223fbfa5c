using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mdl.Functions;

/// <summary>
/// Carries this silo's finished calls to each function's cluster-wide statistics grain in batches: at most one message
/// per function per <see cref="Interval"/>, instead of one per call to a single grain that every goal of the cluster
/// calls into. Nothing runs while no call finishes, so an idle silo has no timer for it.
/// </summary>
public sealed partial class FunctionStatsShipper(FunctionGrains grains, ILogger<FunctionStatsShipper> logger)
{
    /// <summary>How long a finished call waits before it is shipped: the statistics lag live calls by at most this.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, ConcurrentQueue<FunctionCallSample>> _pending = new(StringComparer.Ordinal);
    private int _scheduled;

    /// <summary>Queues a finished call of <paramref name="function"/> for its statistics grain.</summary>
    public void Add(string function, FunctionCallSample sample)
    {
        _pending.GetOrAdd(function, static _ => new ConcurrentQueue<FunctionCallSample>()).Enqueue(sample);
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            _ = ShipLaterAsync();
        }
    }

    private async Task ShipLaterAsync()
    {
        await Task.Delay(Interval).ConfigureAwait(false);

        // Reopened before draining: a call that finishes from here on schedules the next batch itself.
        Volatile.Write(ref _scheduled, 0);
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
            }
            catch (Exception exception)
            {
                // Statistics are advisory (the goals decide on this silo's own FunctionStatsBook): a lost batch is logged, not retried.
                LogShipFailed(logger, exception, batch.Count, function);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record {Count} finished calls of {Function} in its statistics")]
    private static partial void LogShipFailed(ILogger logger, Exception exception, int count, string function);
}
