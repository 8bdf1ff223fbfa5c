using Mdl.Storage;

namespace Mdl.Functions;

/// <summary>
/// What a goal's <c>external</c> calls returned, as silos kept it before goals recorded results in their own state
/// (<see cref="Mdl.Goals.IGoalLedgerGrain"/>). Kept so a call recorded here before an upgrade, and re-issued after it,
/// still returns its first result; workers read it only for re-issued calls and record nothing new.
/// </summary>
internal sealed class IdempotencyLedgerGrain(
    [PersistentState("ledger", StorageNames.Goals)] IPersistentState<IdempotencyLedgerState> state) : Grain, IIdempotencyLedgerGrain
{
    /// <summary>How many completed calls a goal's ledger keeps; far more than a goal can have in flight.</summary>
    public const int Capacity = 256;

    /// <inheritdoc />
    public Task<FunctionResult?> RecallAsync(string idempotencyKey) =>
        Task.FromResult(state.State.Results.GetValueOrDefault(idempotencyKey));

    /// <inheritdoc />
    public async Task RecordAsync(string idempotencyKey, FunctionResult result)
    {
        if (!state.State.Results.TryAdd(idempotencyKey, result))
        {
            return;
        }

        state.State.Order.Enqueue(idempotencyKey);
        while (state.State.Order.Count > Capacity)
        {
            state.State.Results.Remove(state.State.Order.Dequeue());
        }

        await state.WriteStateAsync();
    }
}

/// <summary>The ledger's persisted state.</summary>
[GenerateSerializer, Alias("mdl.IdempotencyLedgerState")]
public sealed class IdempotencyLedgerState
{
    /// <summary>Idempotency key → recorded result.</summary>
    [Id(0)] public Dictionary<string, FunctionResult> Results { get; set; } = [];

    /// <summary>Keys oldest first, to forget the oldest beyond capacity.</summary>
    [Id(1)] public Queue<string> Order { get; set; } = new();
}
