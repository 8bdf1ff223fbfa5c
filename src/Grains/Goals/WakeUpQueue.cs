namespace Mdl.Goals;

/// <summary>A wake-up a goal has asked its silo for: who, and when. The goal cancels it when it asks for an earlier one or deactivates.</summary>
public sealed class WakeUpTicket(GrainId goal, DateTimeOffset at)
{
    private volatile bool _cancelled;

    /// <summary>The goal to wake.</summary>
    public GrainId Goal { get; } = goal;

    /// <summary>When to wake it.</summary>
    public DateTimeOffset At { get; } = at;

    /// <summary>Whether it has left the queue's live tickets: the goal no longer wants it, or it was taken to be delivered.</summary>
    public bool Cancelled => _cancelled;

    internal void Cancel() => _cancelled = true;
}

/// <summary>
/// The wake-ups of every goal on a silo, by time: what <see cref="GoalWakeUps"/> drives with its one timer. Not thread-safe.
/// Cancelled tickets leave lazily, when they reach the head, or all at once when they outnumber the live ones.
/// </summary>
public sealed class WakeUpQueue
{
    // Below this many cancelled tickets, rebuilding the queue is not worth it.
    private const int PurgeFloor = 64;

    private PriorityQueue<WakeUpTicket, DateTimeOffset> _tickets = new();
    private int _cancelled;

    /// <summary>Tickets held, cancelled ones not yet dropped included.</summary>
    public int Count => _tickets.Count;

    /// <summary>When the earliest live ticket is due; null when none is.</summary>
    public DateTimeOffset? Next
    {
        get
        {
            DropCancelledHead();
            return _tickets.TryPeek(out _, out var at) ? at : null;
        }
    }

    /// <summary>Adds <paramref name="ticket"/>.</summary>
    public void Add(WakeUpTicket ticket) => _tickets.Enqueue(ticket, ticket.At);

    /// <summary>Cancels <paramref name="ticket"/>; it no longer comes out of <see cref="TakeDue"/>.</summary>
    public void Cancel(WakeUpTicket ticket)
    {
        if (ticket.Cancelled)
        {
            return;
        }

        ticket.Cancel();
        if (++_cancelled > PurgeFloor && _cancelled > _tickets.Count / 2)
        {
            // Goals that deactivated cancel wake-ups that may be hours away: drop them now rather than hold them that long.
            _tickets = new PriorityQueue<WakeUpTicket, DateTimeOffset>(
                _tickets.UnorderedItems.Where(e => !e.Element.Cancelled));
            _cancelled = 0;
        }
    }

    /// <summary>Removes and returns the live tickets due at <paramref name="now"/> or before, earliest first.</summary>
    public List<WakeUpTicket> TakeDue(DateTimeOffset now)
    {
        var due = new List<WakeUpTicket>();
        while (_tickets.TryPeek(out var ticket, out var at) && at <= now)
        {
            _tickets.Dequeue();
            if (ticket.Cancelled)
            {
                _cancelled--;
            }
            else
            {
                ticket.Cancel(); // taken: a later cancel by the goal has nothing left to drop
                due.Add(ticket);
            }
        }

        return due;
    }

    private void DropCancelledHead()
    {
        while (_tickets.TryPeek(out var ticket, out _) && ticket.Cancelled)
        {
            _tickets.Dequeue();
            _cancelled--;
        }
    }
}
