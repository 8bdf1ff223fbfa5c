using Mdl.Bench.Functions;
using Mdl.Functions;
using Orleans.Concurrency;

namespace Mdl.Bench.Baseline;

/// <summary>A stateless worker, one grain hop away like a function grain, that signals the harness as <c>bench.act</c> does.</summary>
[StatelessWorker]
internal sealed class LazyActionGrain : Grain, ILazyActionGrain
{
    /// <inheritdoc />
    public Task ActAsync(FunctionCall call)
    {
        BenchSignals.OnRun(call);
        return Task.CompletedTask;
    }
}
