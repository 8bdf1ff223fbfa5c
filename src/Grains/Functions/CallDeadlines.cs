using System.Collections.Concurrent;

namespace Mdl.Functions;

/// <summary>
/// Cancellation at a function call's deadline without a timer per call. Deadlines are rounded up to the end of a
/// <see cref="Slot"/>; calls due in the same slot share one token, cancelled by one timer when the slot ends. A call
/// therefore times out up to one slot after its own deadline. At thousands of calls a second a timer (and its lock on
/// the runtime's timer queue) per call was a measurable part of a loop; idle, no slot and no timer exists.
/// </summary>
public sealed class CallDeadlines(TimeProvider time)
{
    /// <summary>The granularity of deadlines.</summary>
    public static readonly TimeSpan Slot = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentDictionary<long, Entry> _slots = new();
    private readonly TimeProvider _time = time;

    /// <summary>A token cancelled no earlier than <paramref name="timeout"/> from now, and at most one slot later.</summary>
    public CancellationToken After(TimeSpan timeout)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var slot = (now + Math.Max(0, timeout.Ticks) + Slot.Ticks - 1) / Slot.Ticks;
        var entry = _slots.GetOrAdd(slot, static _ => new Entry());
        entry.Start(this, slot, TimeSpan.FromTicks(Math.Max(0, (slot * Slot.Ticks) - now)));
        return entry.Token;
    }

    private void Expire(long slot)
    {
        if (_slots.TryRemove(slot, out var entry))
        {
            entry.Expire();
        }
    }

    private sealed class Entry
    {
        private readonly CancellationTokenSource _source = new();
        private ITimer? _timer;
        private int _started;

        public CancellationToken Token => _source.Token;

        // Only the entry the dictionary kept starts a timer; one a racing caller made and lost is simply dropped.
        public void Start(CallDeadlines owner, long slot, TimeSpan due)
        {
            if (Interlocked.Exchange(ref _started, 1) == 0)
            {
                _timer = owner._time.CreateTimer(static state => ((Action)state!)(), (Action)(() => owner.Expire(slot)), due, Timeout.InfiniteTimeSpan);
            }
        }

        public void Expire()
        {
            _timer?.Dispose();
            _source.Cancel();
        }
    }
}
