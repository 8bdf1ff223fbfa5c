namespace Mdl.Goals;

/// <summary>
/// A wake-up a goal has asked its silo for: who, and when. The goal moves it when it wants an earlier one, and cancels it
/// when it deactivates. One per goal: moving it re-queues the same ticket rather than adding another.
/// </summary>
public sealed class WakeUpTicket(GrainId goal, DateTimeOffset at)
{
    private volatile bool _cancelled;

    /// <summary>The goal to wake.</summary>
    public GrainId Goal { get; } = goal;

    /// <summary>When to wake it; changed only under the queue's owner's lock.</summary>
    public DateTimeOffset At { get; internal set; } = at;

    /// <summary>Whether it has left the queue's live tickets: the goal no longer wants it, or it was taken to be delivered.</summary>
    public bool Cancelled => _cancelled;

    internal void Cancel() => _cancelled = true;
}

/// <summary>
/// The wake-ups of every goal on a silo, by time: what <see cref="GoalWakeUps"/> drives with its one timer. Not thread-safe.
/// A queue entry is live while its ticket is neither cancelled nor moved since (the entry's time is the ticket's). Stale
/// entries leave lazily, when they reach the head, or all at once when they outnumber the live ones.
/// </summary>
public sealed class WakeUpQueue
{
    // Below this many cancelled tickets, rebuilding the queue is not worth it.
    private const int PurgeFloor = 64;

    private PriorityQueue<WakeUpTicket, DateTimeOffset> _tickets = new();
    private int _stale;

    /// <summary>Entries held, stale ones not yet dropped included.</summary>
    public int Count => _tickets.Count;

    /// <summary>When the earliest live ticket is due; null when none is.</summary>
    public DateTimeOffset? Next
    {
        get
        {
            DropStaleHead();
            return _tickets.TryPeek(out _, out var at) ? at : null;
        }
    }

    /// <summary>Adds <paramref name="ticket"/>.</summary>
    public void Add(WakeUpTicket ticket) => _tickets.Enqueue(ticket, ticket.At);

    /// <summary>
    /// Moves <paramref name="ticket"/> to <paramref name="at"/>. False when it has already been taken or cancelled: the
    /// caller then needs a new ticket.
    /// </summary>
    public bool Move(WakeUpTicket ticket, DateTimeOffset at)
    {
        if (ticket.Cancelled)
        {
            return false;
        }

        ticket.At = at;
        _tickets.Enqueue(ticket, at);
        Staled();
        return true;
    }

    /// <summary>Cancels <paramref name="ticket"/>; it no longer comes out of <see cref="TakeDue"/>.</summary>
    public void Cancel(WakeUpTicket ticket)
    {
        if (ticket.Cancelled)
        {
            return;
        }

        ticket.Cancel();
        Staled();
    }

    /// <summary>Removes and returns the live tickets due at <paramref name="now"/> or before, earliest first.</summary>
    public List<WakeUpTicket> TakeDue(DateTimeOffset now)
    {
        var due = new List<WakeUpTicket>();
        while (_tickets.TryPeek(out var ticket, out var at) && at <= now)
        {
            _tickets.Dequeue();
            if (!IsLive(ticket, at))
            {
                _stale--;
            }
            else
            {
                ticket.Cancel(); // taken: a later cancel by the goal has nothing left to drop
                due.Add(ticket);
            }
        }

        return due;
    }

    private static bool IsLive(WakeUpTicket ticket, DateTimeOffset at) => !ticket.Cancelled && ticket.At == at;

    /// <summary>Counts one more stale entry, and drops them all once they outnumber the live ones.</summary>
    private void Staled()
    {
        if (++_stale > PurgeFloor && _stale > _tickets.Count / 2)
        {
            // Goals that deactivated cancel wake-ups that may be hours away: drop them now rather than hold them that long.
            _tickets = new PriorityQueue<WakeUpTicket, DateTimeOffset>(
                _tickets.UnorderedItems.Where(e => IsLive(e.Element, e.Priority)));
            _stale = 0;
        }
    }

    private void DropStaleHead()
    {
        while (_tickets.TryPeek(out var ticket, out var at) && !IsLive(ticket, at))
        {
            _tickets.Dequeue();
            _stale--;
        }
    }
}
