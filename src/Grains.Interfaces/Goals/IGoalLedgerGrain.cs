using Mdl.Functions;

namespace Mdl.Goals;

/// <summary>
/// A goal's record of what its <c>external</c> calls returned (key = goal id; the goal grain implements it). The function
/// worker records a completed call here, durably, before answering the goal, so a call the goal re-issues after losing
/// the answer is answered from the record instead of acting twice.
/// </summary>
[Alias("mdl.IGoalLedgerGrain")]
public interface IGoalLedgerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records the result of the in-flight call with <paramref name="idempotencyKey"/> in the goal's state and returns once
    /// it is written. A key that is not in flight (unknown, or its outcome already applied) changes nothing.
    /// </summary>
    [Alias("RecordResult")]
    Task RecordResultAsync(string idempotencyKey, FunctionResult result);
}
