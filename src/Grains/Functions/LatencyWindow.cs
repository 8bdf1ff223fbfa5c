namespace Mdl.Functions;

/// <summary>The latencies of the most recent calls, with exact percentiles over them. Thread-safe.</summary>
public sealed class LatencyWindow
{
    private readonly double[] _samples;
    private readonly Lock _lock = new();
    private int _count;
    private int _next;
    private double[]? _sorted;

    /// <summary>Keeps the last <paramref name="capacity"/> samples.</summary>
    public LatencyWindow(int capacity = 256) => _samples = new double[capacity];

    /// <summary>Adds a sample.</summary>
    public void Add(double milliseconds)
    {
        lock (_lock)
        {
            _samples[_next] = milliseconds;
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
            _sorted = null;
        }
    }

    /// <summary>The <paramref name="quantile"/> (0..1) of recent samples, or null when there are none.</summary>
    public double? Percentile(double quantile)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return null;
            }

            // Sorting is deferred to the first read after a write: Decide reads far more often than calls finish.
            _sorted ??= _samples.Take(_count).Order().ToArray();
            var rank = (int)Math.Ceiling(quantile * _sorted.Length) - 1;
            return _sorted[Math.Clamp(rank, 0, _sorted.Length - 1)];
        }
    }
}
