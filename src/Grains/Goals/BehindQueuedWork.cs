namespace Mdl.Goals;

/// <summary>
/// An await that lets the work this thread has just queued run before the rest of the current turn: the continuation
/// goes to the thread pool's global queue, and from there back to the scheduler that was current (a grain's).
/// </summary>
/// <remarks>
/// Orleans queues an activation's turn on the calling thread's local queue, which that thread takes from before the
/// global queue. So a goal that calls a function grain and then awaits this lets the function's turn run on this warm
/// thread first, instead of leaving it queued behind the goal's own write (or waiting for a sleeping thread to steal it).
/// </remarks>
internal readonly struct BehindQueuedWork : System.Runtime.CompilerServices.ICriticalNotifyCompletion
{
    /// <summary>The awaiter: the value itself.</summary>
    public BehindQueuedWork GetAwaiter() => this;

    /// <summary>Never complete at once: the point is to yield.</summary>
    public bool IsCompleted => false;

    /// <summary>Nothing to return.</summary>
    public void GetResult()
    {
    }

    /// <inheritdoc />
    public void OnCompleted(Action continuation) => Queue(continuation);

    /// <inheritdoc />
    public void UnsafeOnCompleted(Action continuation) => Queue(continuation);

    private static void Queue(Action continuation) =>
        ThreadPool.UnsafeQueueUserWorkItem(
            static resume => Task.Factory.StartNew(resume.Continuation, CancellationToken.None, TaskCreationOptions.DenyChildAttach, resume.Scheduler),
            (Continuation: continuation, Scheduler: TaskScheduler.Current),
            preferLocal: false);
}
