using Orleans.Concurrency;

namespace Mdl.Functions;

/// <summary>
/// The "Agentic FaaS": a stateless worker per function name (the grain key) that runs the registered
/// <see cref="IAgentFunction"/>. Orleans adds local activations under load, so a function scales with its callers.
/// </summary>
/// <remarks>
/// Calls of <c>external</c> functions go through the calling goal's idempotency ledger: a call whose key already
/// completed returns the recorded result without acting again, so function authors get exactly-once effects for
/// re-issued calls without writing any bookkeeping of their own. (Read-only and idempotent functions may simply repeat.)
/// </remarks>
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

        var ledger = function.Descriptor.SideEffect == SideEffectClass.External
            ? GrainFactory.GetGrain<IIdempotencyLedgerGrain>(call.GoalId)
            : null;
        if (ledger is not null && await ledger.RecallAsync(call.IdempotencyKey) is { } recorded)
        {
            return recorded;
        }

        var result = await function.InvokeAsync(call, CancellationToken.None)
            ?? FunctionResult.Failure($"function '{name}' returned no result");
        if (ledger is not null && result.Succeeded)
        {
            await ledger.RecordAsync(call.IdempotencyKey, result);
        }

        return result;
    }
}
