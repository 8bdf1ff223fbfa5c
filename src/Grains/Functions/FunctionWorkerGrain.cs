using Mdl.Goals;
using Orleans.Concurrency;

namespace Mdl.Functions;

/// <summary>
/// The "Agentic FaaS": a stateless worker per function name (the grain key) that runs the registered
/// <see cref="IAgentFunction"/>. Orleans adds local activations under load, so a function scales with its callers.
/// </summary>
/// <remarks>
/// Calls of <c>external</c> functions are recorded in the calling goal's own state before the worker answers
/// (<see cref="IGoalLedgerGrain"/>): if the goal loses the answer (its silo dies in between), it re-issues the call with the
/// same idempotency key and answers it from that record instead of calling again, so function authors get exactly-once
/// effects for re-issued calls without writing any bookkeeping of their own — except for a crash after the function acted
/// and before the record's write completed, which re-issues the call with no record to answer it (a function whose effect
/// must never repeat checks the key itself when <see cref="FunctionCall.Reissued"/> is set). (Read-only and idempotent
/// functions may simply repeat.) A re-issued call is also looked up in the ledger grain that silos before this design
/// kept per goal.
/// </remarks>
[StatelessWorker]
[GrainType(GrainTypeName)]
internal sealed class FunctionWorkerGrain(FunctionCatalog catalog) : Grain, IFunctionGrain
{
    /// <summary>The function worker's grain type name: goals accept recorded results only from grains of this type.</summary>
    public const string GrainTypeName = "mdl.function";

    private string? _name; // the function's name, the activation's key: decoded once, not per call

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call)
    {
        var name = _name ??= this.GetPrimaryKeyString();
        if (catalog.Get(name) is not { } function)
        {
            return FunctionResult.Failure($"function '{name}' is not offered by this silo");
        }

        var external = function.Descriptor.SideEffect == SideEffectClass.External;
        if (external && call.Reissued && await GrainFactory.GetGrain<IIdempotencyLedgerGrain>(call.GoalId).RecallAsync(call.IdempotencyKey) is { } recorded)
        {
            return recorded;
        }

        var result = await function.InvokeAsync(call, CancellationToken.None)
            ?? FunctionResult.Failure($"function '{name}' returned no result");
        if (external && result.Succeeded)
        {
            await GrainFactory.GetGrain<IGoalLedgerGrain>(call.GoalId).RecordResultAsync(call.IdempotencyKey, result);
        }

        return result;
    }
}
