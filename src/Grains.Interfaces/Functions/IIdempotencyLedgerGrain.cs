namespace Mdl.Functions;

/// <summary>
/// The results of completed calls by idempotency key, for one goal (key = goal id): a repeat of a call that already
/// acted gets the recorded result instead of acting again. Kept for the goal's most recent calls.
/// </summary>
[Alias("mdl.IIdempotencyLedgerGrain")]
public interface IIdempotencyLedgerGrain : IGrainWithStringKey
{
    /// <summary>The recorded result of the call with <paramref name="idempotencyKey"/>, or null when it has not completed.</summary>
    [Alias("Recall")]
    Task<FunctionResult?> RecallAsync(string idempotencyKey);

    /// <summary>Records a completed call's result durably.</summary>
    [Alias("Record")]
    Task RecordAsync(string idempotencyKey, FunctionResult result);
}
