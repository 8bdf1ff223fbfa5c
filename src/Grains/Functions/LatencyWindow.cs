namespace Mdl.Functions;

/// <summary>
/// The latencies of the most recent calls, with percentiles over them. Thread-safe. Reads see a sorted view, so Decide —
/// which reads on every decision, from every goal — neither sorts nor waits on a lock each time; a p95 a few calls old is
/// as good a guide to the next call. The view is refreshed on any change while the window holds under 16 samples; then
/// once more than a quarter of the samples changed, or more than a sixteenth and the view is <see cref="QuietRefresh"/>
/// old. A busy function's window is sorted every quarter of it (a few milliseconds of calls), a quiet one's after 16 calls.
/// </summary>
public sealed class LatencyWindow
{
    /// <summary>How old a view may get before a sixteenth of the window changing refreshes it.</summary>
    public static readonly TimeSpan QuietRefresh = TimeSpan.FromMilliseconds(100);

    private readonly double[] _samples;
    private readonly Lock _lock = new();
    private readonly TimeSpan? _maxAge;
    private int _count;
    private int _next;
    private int _changed;
    private double[]? _sorted;
    private long _sortedAtTicks;
    private long _newestTicks = long.MinValue;

    /// <summary>
    /// Keeps the last <paramref name="capacity"/> samples. With <paramref name="maxAge"/>, a window whose newest sample
    /// is older than that has no percentiles, and its next sample starts it afresh: a function that stopped being called
    /// because it looked slow is judged again by what it declares, not for ever by its last bad minute.
    /// </summary>
    public LatencyWindow(int capacity = 256, TimeSpan? maxAge = null)
    {
        _samples = new double[capacity];
        _maxAge = maxAge;
    }

    /// <summary>Adds a sample taken at <paramref name="at"/>.</summary>
    public void Add(double milliseconds, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (IsStale(at))
            {
                _count = 0;
                _next = 0;
                Volatile.Write(ref _sorted, null);
            }

            _newestTicks = Math.Max(_newestTicks, at.UtcTicks);
            _samples[_next] = milliseconds;
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
            _changed++;
        }
    }

    /// <summary>The <paramref name="quantile"/> (0..1) of recent samples as of <paramref name="now"/>, or null when there are none.</summary>
    public double? Percentile(double quantile, DateTimeOffset now)
    {
        if (IsStale(now))
        {
            return null;
        }

        var sorted = Volatile.Read(ref _sorted);
        if (sorted is null || IsOutdated(sorted, Volatile.Read(ref _changed), now))
        {
            sorted = Refresh(now);
        }

        if (sorted is null)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    private bool IsStale(DateTimeOffset now) =>
        _maxAge is { } age && Volatile.Read(ref _newestTicks) is var newest && newest != long.MinValue && now.UtcTicks - newest > age.Ticks;

    private bool IsOutdated(double[] sorted, int changed, DateTimeOffset now) =>
        changed > 0 && (sorted.Length < 16
            || changed > sorted.Length / 4
            || (changed > sorted.Length / 16 && now.UtcTicks - Volatile.Read(ref _sortedAtTicks) >= QuietRefresh.Ticks));

    private double[]? Refresh(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return null;
            }

            // A new array each time: readers holding the previous view keep a consistent one.
            var sorted = _samples.AsSpan(0, _count).ToArray();
            Array.Sort(sorted);
            _changed = 0;
            Volatile.Write(ref _sortedAtTicks, now.UtcTicks);
            Volatile.Write(ref _sorted, sorted);
            return sorted;
        }
    }
}
