using Orleans.Concurrency;

namespace Mdl.Streams;

/// <summary>
/// An in-memory FIFO of one push-stream queue. Unlike Orleans's memory stream queue, a read on an empty queue does not
/// return at once for the agent to ask again on its next timer tick: it waits until a publish arrives, so delivery starts
/// the moment a batch is enqueued and an idle queue costs one read per <see cref="PushStreamOptions.IdleWait"/>.
/// </summary>
/// <remarks>
/// Reentrant so publishes reach the queue while its agent's read is waiting; every method changes state only between awaits.
/// Like memory streams, the queue is not durable: batches not yet read are lost if the silo stops.
/// </remarks>
[Reentrant]
internal sealed class PushQueueGrain(TimeProvider time) : Grain, IPushQueueGrain
{
    private const int MaxBatches = 16_384;

    private readonly Queue<PushBatch> _queue = new();

    // Positions start at the clock's ticks so a queue reactivated after a silo restart never hands out a position below one
    // an agent has already cached (Orleans's memory stream queue does the same).
    private long _next = time.GetUtcNow().UtcTicks;
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public Task EnqueueAsync(PushBatch batch)
    {
        if (_queue.Count >= MaxBatches)
        {
            throw new InvalidOperationException($"push stream queue '{this.GetPrimaryKeyString()}' holds {MaxBatches} unread batches; the publish was refused");
        }

        _queue.Enqueue(batch with { Sequence = _next++ });
        _arrived.TrySetResult();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<PushBatch[]> DequeueAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_queue.Count == 0 && wait > TimeSpan.Zero)
        {
            if (_arrived.Task.IsCompleted)
            {
                _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            // Back on the grain's scheduler whether a publish came, the wait ran out or the caller gave up.
            await _arrived.Task.WaitAsync(wait, time, cancellationToken)
                .ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
        }

        // A reader that gave up (its agent is stopping) would drop what it is handed: leave the batches for the next reader.
        if (cancellationToken.IsCancellationRequested)
        {
            return [];
        }

        var count = max <= 0 ? _queue.Count : Math.Min(max, _queue.Count);
        var batches = new PushBatch[count];
        for (var i = 0; i < count; i++)
        {
            batches[i] = _queue.Dequeue();
        }

        return batches;
    }
}
