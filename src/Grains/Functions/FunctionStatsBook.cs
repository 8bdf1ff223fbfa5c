using System.Collections.Concurrent;

namespace Mdl.Functions;

/// <summary>This silo's view of each function's recent calls: what Decide reads, without a grain call per decision.</summary>
public sealed class FunctionStatsBook
{
    private readonly ConcurrentDictionary<string, LatencyWindow> _latencies = new(StringComparer.Ordinal);

    /// <summary>Adds a finished call.</summary>
    public void Record(string function, FunctionCallSample sample) =>
        _latencies.GetOrAdd(function, _ => new LatencyWindow()).Add(sample.DurationMs);

    /// <summary>The observed p95 latency of recent calls, or null when none has finished on this silo.</summary>
    public double? P95(string function) => _latencies.TryGetValue(function, out var window) ? window.Percentile(0.95) : null;
}
