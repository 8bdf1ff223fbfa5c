using Mdl.Functions;
using Orleans.Concurrency;

namespace Mdl.Bench.Baseline;

/// <summary>The stateless worker at the end of the shaped chain.</summary>
[StatelessWorker]
internal sealed class ShapedWorkerGrain : Grain, IShapedWorkerGrain
{
    private static readonly Task<FunctionResult> Done = Task.FromResult(FunctionResult.Success(null));

    /// <inheritdoc />
    public Task<FunctionResult> InvokeAsync(FunctionCall call) => Done;
}
