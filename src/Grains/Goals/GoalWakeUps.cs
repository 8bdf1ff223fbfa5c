using Microsoft.Extensions.Logging;

namespace Mdl.Goals;

/// <summary>
/// The silo's one wake-up scheduler: goals ask it to be woken at a moment (<see cref="Schedule"/>), and one timer, armed for
/// the earliest ticket, wakes each by a call (<see cref="IGoalClockGrain.WakeUpAsync"/>). A grain timer per goal cost
/// about 450 bytes a goal (timer, queue timer, callback, the activation's timer set); a ticket here, with its queue
/// entries, under 250.
/// </summary>
/// <remarks>
/// Like the grain timer it replaces, it is in memory only: a wake-up that must outlive the activation is also kept in a
/// reminder by the goal, and a goal cancels its ticket when it deactivates. Unlike a timer tick, the wake-up is a grain
/// call, so it counts as activity: a goal is not collected as idle while wake-ups keep coming (they stop once no rolling
/// window or effect horizon is left to expire).
/// </remarks>
public sealed class GoalWakeUps : IDisposable
{
    private readonly WakeUpQueue _queue = new();
    private readonly Lock _lock = new();
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly ILogger<GoalWakeUps> _logger;
    private readonly ITimer _timer;
    private DateTimeOffset? _armedFor;

    /// <summary>A scheduler calling goals through <paramref name="grains"/>, on <paramref name="time"/>'s clock.</summary>
    public GoalWakeUps(IGrainFactory grains, TimeProvider time, ILogger<GoalWakeUps> logger)
    {
        _grains = grains;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(_ => Fire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Wakes <paramref name="goal"/> at <paramref name="at"/>; cancel the ticket to take it back.</summary>
    public WakeUpTicket Schedule(GrainId goal, DateTimeOffset at)
    {
        var ticket = new WakeUpTicket(goal, at);
        lock (_lock)
        {
            _queue.Add(ticket);
            if (_armedFor is not { } armed || at < armed)
            {
                Arm(at);
            }
        }

        return ticket;
    }

    /// <summary>
    /// Moves <paramref name="ticket"/> to <paramref name="at"/>, or, if it was taken for delivery meanwhile, schedules a new
    /// one; returns the ticket that now holds the wake-up.
    /// </summary>
    public WakeUpTicket Move(WakeUpTicket ticket, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (!_queue.Move(ticket, at))
            {
                ticket = new WakeUpTicket(ticket.Goal, at);
                _queue.Add(ticket);
            }

            if (_armedFor is not { } armed || at < armed)
            {
                Arm(at);
            }
        }

        return ticket;
    }

    /// <summary>Takes back <paramref name="ticket"/> (no call is made for it unless one is already on its way).</summary>
    public void Cancel(WakeUpTicket ticket)
    {
        lock (_lock)
        {
            _queue.Cancel(ticket);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();

    private void Arm(DateTimeOffset at)
    {
        _armedFor = at;
        var due = at - _time.GetUtcNow();
        _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void Fire()
    {
        List<WakeUpTicket> due;
        lock (_lock)
        {
            _armedFor = null;
            due = _queue.TakeDue(_time.GetUtcNow());
            if (_queue.Next is { } next)
            {
                Arm(next);
            }
        }

        foreach (var ticket in due)
        {
            _ = WakeAsync(ticket);
        }
    }

    private async Task WakeAsync(WakeUpTicket ticket)
    {
        try
        {
            await _grains.GetGrain<IGoalClockGrain>(ticket.Goal).WakeUpAsync(ticket.At);
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Could not wake goal {Goal} for its wake-up at {At:O}", ticket.Goal, ticket.At);
        }
    }
}
