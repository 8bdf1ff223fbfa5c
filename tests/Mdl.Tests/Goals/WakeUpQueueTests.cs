using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>The silo's wake-ups by time, as its one timer takes them.</summary>
public sealed class WakeUpQueueTests
{
    private static readonly DateTimeOffset T0 = TestDefinitions.T0;

    private static WakeUpTicket Ticket(string goal, int seconds) => new(GrainId.Create("mdl.goal", goal), T0.AddSeconds(seconds));

    private static WakeUpQueue QueueOf(params WakeUpTicket[] tickets)
    {
        var queue = new WakeUpQueue();
        foreach (var ticket in tickets)
        {
            queue.Add(ticket);
        }

        return queue;
    }

    [Fact]
    public void Due_tickets_come_out_earliest_first_and_later_ones_stay()
    {
        var late = Ticket("a", 30);
        var early = Ticket("b", 10);
        var middle = Ticket("c", 20);
        var queue = QueueOf(late, early, middle);

        Assert.Equal(T0.AddSeconds(10), queue.Next);
        Assert.Equal([early, middle], queue.TakeDue(T0.AddSeconds(20)));
        Assert.Equal(T0.AddSeconds(30), queue.Next);
        Assert.Empty(queue.TakeDue(T0.AddSeconds(29)));
        Assert.Equal([late], queue.TakeDue(T0.AddSeconds(31)));
        Assert.Null(queue.Next);
    }

    [Fact]
    public void A_cancelled_ticket_never_comes_out_and_does_not_hold_the_next_time()
    {
        var replaced = Ticket("a", 10);
        var kept = Ticket("a", 20);
        var queue = QueueOf(replaced, kept);

        queue.Cancel(replaced);

        Assert.Equal(T0.AddSeconds(20), queue.Next);
        Assert.Equal([kept], queue.TakeDue(T0.AddSeconds(60)));
    }

    [Fact]
    public void A_moved_ticket_comes_out_once_at_its_new_time()
    {
        var ticket = Ticket("a", 30);
        var queue = QueueOf(ticket, Ticket("b", 20));

        Assert.True(queue.Move(ticket, T0.AddSeconds(10)));

        Assert.Equal(T0.AddSeconds(10), queue.Next);
        Assert.Equal([ticket], queue.TakeDue(T0.AddSeconds(10)));
        Assert.Equal(T0.AddSeconds(10), ticket.At);
        Assert.Equal(T0.AddSeconds(20), queue.Next);
        Assert.DoesNotContain(ticket, queue.TakeDue(T0.AddSeconds(60)));
        Assert.False(queue.Move(ticket, T0.AddSeconds(5))); // taken: the goal needs a new ticket
    }

    [Fact]
    public void Cancelling_a_ticket_already_taken_changes_nothing()
    {
        var ticket = Ticket("a", 10);
        var queue = QueueOf(ticket);
        Assert.Single(queue.TakeDue(T0.AddSeconds(10)));

        queue.Cancel(ticket);
        queue.Add(Ticket("a", 20));

        Assert.Single(queue.TakeDue(T0.AddSeconds(20)));
    }

    [Fact]
    public void Cancelled_tickets_far_ahead_are_dropped_once_they_outnumber_the_live_ones()
    {
        var tickets = Enumerable.Range(0, 200).Select(i => Ticket($"g{i}", 3600 + i)).ToArray();
        var queue = QueueOf(tickets);

        // Goals deactivating, their wake-ups an hour away.
        foreach (var ticket in tickets.Take(150))
        {
            queue.Cancel(ticket);
        }

        Assert.True(queue.Count < 100, $"{queue.Count} tickets held");
        Assert.Equal(tickets.Skip(150), queue.TakeDue(T0.AddHours(2)));
    }
}
