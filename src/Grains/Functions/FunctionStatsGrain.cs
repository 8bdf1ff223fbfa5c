namespace Mdl.Functions;

/// <summary>Cluster-wide statistics of one function (key = function name), fed by the goals that call it. Kept in memory.</summary>
internal sealed class FunctionStatsGrain : Grain, IFunctionStatsGrain
{
    private readonly LatencyWindow _latency = new(1024);
    private FunctionStats _stats = new();

    /// <inheritdoc />
    public Task RecordManyAsync(FunctionCallSample[] samples)
    {
        foreach (var sample in samples)
        {
            _latency.Add(sample.DurationMs);
            var failed = sample.Status != Decisions.OutcomeStatus.Succeeded;
            _stats = _stats with
            {
                Calls = _stats.Calls + 1,
                Failures = _stats.Failures + (failed ? 1 : 0),
                Timeouts = _stats.Timeouts + (sample.Status == Decisions.OutcomeStatus.TimedOut ? 1 : 0),
                Spend = _stats.Spend + sample.Cost,
                LastCallAt = _stats.LastCallAt is { } last && last > sample.At ? last : sample.At,
            };
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<FunctionStats> GetAsync() =>
        Task.FromResult(_stats with { P50Ms = _latency.Percentile(0.5), P95Ms = _latency.Percentile(0.95) });
}
