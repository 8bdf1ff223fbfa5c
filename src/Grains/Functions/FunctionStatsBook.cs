using System.Collections.Concurrent;

namespace Mdl.Functions;

/// <summary>This silo's view of each function's recent calls: what Decide reads, without a grain call per decision.</summary>
public sealed class FunctionStatsBook(TimeProvider time)
{
    /// <summary>
    /// How long the latencies of a function nobody called since stay in force. Decide excludes a function whose p95 is
    /// over a goal's deadline, so its window would otherwise never change again: after this, its declared latency counts
    /// and the next call's measure starts afresh.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, LatencyWindow> _latencies = new(StringComparer.Ordinal);

    /// <summary>Adds a finished call, at the moment it finished.</summary>
    public void Record(string function, FunctionCallSample sample) =>
        _latencies.GetOrAdd(function, static _ => new LatencyWindow(maxAge: MaxAge)).Add(sample.DurationMs, sample.At);

    /// <summary>The observed p95 latency of recent calls, or null when none has finished on this silo within <see cref="MaxAge"/>.</summary>
    public double? P95(string function) => _latencies.TryGetValue(function, out var window) ? window.Percentile(0.95, time.GetUtcNow()) : null;
}
