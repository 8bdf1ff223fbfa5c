using Orleans.Concurrency;

namespace Mdl.Bench.Baseline;

/// <summary>The stateless worker at the end of the baseline chain.</summary>
[StatelessWorker]
internal sealed class BaselineWorkerGrain : Grain, IBaselineWorkerGrain
{
    /// <inheritdoc />
    public Task<int> WorkAsync(int value) => Task.FromResult(value + 1);
}
