using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>
/// <see cref="BehindQueuedWork"/> yields through the thread pool's global queue, but the rest of the turn must come back
/// to the scheduler it left: a goal's state may only change on its grain's scheduler.
/// </summary>
public sealed class BehindQueuedWorkTests
{
    [Fact]
    public async Task The_rest_of_the_turn_runs_on_the_scheduler_it_left_and_after_work_queued_on_that_scheduler()
    {
        var exclusive = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        var order = new List<string>();

        var turn = Task.Factory.StartNew(async () =>
        {
            // Queued on the same exclusive scheduler ahead of the yield: it runs before the turn resumes.
            _ = Task.Factory.StartNew(() => order.Add("queued"), CancellationToken.None, TaskCreationOptions.None, exclusive);
            await new BehindQueuedWork();
            order.Add("resumed");
            return TaskScheduler.Current;
        }, CancellationToken.None, TaskCreationOptions.None, exclusive).Unwrap();

        Assert.Same(exclusive, await turn.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["queued", "resumed"], order);
    }
}
