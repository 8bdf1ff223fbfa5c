using Orleans.Streams;

namespace Mdl.Streams;

/// <summary>
/// The pulling agent's reader of one queue. Orleans's agent keeps calling <see cref="GetQueueMessagesAsync(int, CancellationToken)"/>
/// while reads return batches and only falls back to its timer after an empty one, so a read that waits in the queue grain
/// turns the pulling agent into a pushed one: it is woken by the publish itself, not by the next tick.
/// </summary>
internal sealed class PushQueueReceiver(IPushQueueGrain queue, TimeSpan idleWait) : IQueueAdapterReceiver
{
    /// <inheritdoc />
    public Task Initialize(TimeSpan timeout) => Task.CompletedTask;

    /// <inheritdoc />
    [Obsolete("Orleans calls the overload with a cancellation token.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    /// <inheritdoc />
    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        try
        {
            return await queue.DequeueAsync(maxCount, idleWait, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent is stopping (its timer was disposed): an empty read ends its pump without logging a failed read.
            return [];
        }
    }

    /// <inheritdoc />
    [Obsolete("Orleans calls the overload with a cancellation token.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => Task.CompletedTask;

    /// <inheritdoc />
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task Shutdown(TimeSpan timeout) => Task.CompletedTask;
}
