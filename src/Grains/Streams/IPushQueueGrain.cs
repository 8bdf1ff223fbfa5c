namespace Mdl.Streams;

/// <summary>One queue of a push stream provider: publishers enqueue, the queue's pulling agent waits in a read until they do.</summary>
[Alias("mdl.IPushQueueGrain")]
internal interface IPushQueueGrain : IGrainWithStringKey
{
    /// <summary>Appends <paramref name="batch"/>; completes once it is in the queue (the publish's acknowledgement).</summary>
    [Alias("Enqueue")]
    Task EnqueueAsync(PushBatch batch);

    /// <summary>
    /// Takes up to <paramref name="max"/> batches in order (all when <paramref name="max"/> ≤ 0). When the queue is empty it
    /// waits up to <paramref name="wait"/> for a publish, and returns nothing if none came or the caller cancelled.
    /// </summary>
    [Alias("Dequeue")]
    Task<PushBatch[]> DequeueAsync(int max, TimeSpan wait, CancellationToken cancellationToken);
}
