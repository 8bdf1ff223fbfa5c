namespace Mdl.Functions;

/// <summary>
/// The results of completed calls by idempotency key, for one goal (key = goal id), as silos before the goal kept them
/// itself (<see cref="Mdl.Goals.IGoalLedgerGrain"/>). Read only for re-issued calls, so a call recorded here before an
/// upgrade still returns its first result; nothing new is recorded.
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
