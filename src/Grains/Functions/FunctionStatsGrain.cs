namespace Mdl.Functions;

/// <summary>Cluster-wide statistics of one function (key = function name), fed by the goals that call it. Kept in memory.</summary>
internal sealed class FunctionStatsGrain : Grain, IFunctionStatsGrain
{
    private readonly LatencyWindow _latency = new(1024);
    private FunctionStats _stats = new();

    /// <inheritdoc />
    public Task RecordManyAsync(FunctionCallSample[] samples)
    {
        // Summed first and applied once: a record per sample was one more object per call of a busy function.
        var (calls, failures, timeouts, spend, lastCallAt) = (0L, 0L, 0L, 0.0, _stats.LastCallAt);
        foreach (var sample in samples)
        {
            _latency.Add(sample.DurationMs, sample.At);
            calls++;
            failures += sample.Status != Decisions.OutcomeStatus.Succeeded ? 1 : 0;
            timeouts += sample.Status == Decisions.OutcomeStatus.TimedOut ? 1 : 0;
            spend += sample.Cost;
            lastCallAt = lastCallAt is { } last && last > sample.At ? last : sample.At;
        }

        if (calls > 0)
        {
            _stats = _stats with
            {
                Calls = _stats.Calls + calls,
                Failures = _stats.Failures + failures,
                Timeouts = _stats.Timeouts + timeouts,
                Spend = _stats.Spend + spend,
                LastCallAt = lastCallAt,
            };
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<FunctionStats> GetAsync() =>
        Task.FromResult(_stats with { P50Ms = _latency.Percentile(0.5, DateTimeOffset.UtcNow), P95Ms = _latency.Percentile(0.95, DateTimeOffset.UtcNow) });
}
