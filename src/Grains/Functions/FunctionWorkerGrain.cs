using Orleans.Concurrency;

namespace Mdl.Functions;

/// <summary>
/// The "Agentic FaaS": a stateless worker per function name (the grain key) that runs the registered
/// <see cref="IAgentFunction"/>. Orleans adds local activations under load, so a function scales with its callers.
/// </summary>
[StatelessWorker]
internal sealed class FunctionWorkerGrain(FunctionCatalog catalog) : Grain, IFunctionGrain
{
    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call)
    {
        var name = this.GetPrimaryKeyString();
        if (catalog.Get(name) is not { } function)
        {
            return FunctionResult.Failure($"function '{name}' is not offered by this silo");
        }

        return await function.InvokeAsync(call, CancellationToken.None)
            ?? FunctionResult.Failure($"function '{name}' returned no result");
    }
}
