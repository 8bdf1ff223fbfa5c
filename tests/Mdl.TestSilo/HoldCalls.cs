using Mdl.Functions;
using Mdl.Goals;

namespace Mdl.TestSilo;

/// <summary>
/// Holds one kind of call forever, as when the silo dies at that point, and appends each held call's idempotency key to
/// a file, so a test knows the point is reached before it kills the process. Only for crash tests.
/// </summary>
/// <param name="heldFile">The file held calls' keys are appended to.</param>
/// <param name="point">Where calls are held.</param>
internal sealed class HoldCalls(string heldFile, HoldPoint point) : IOutgoingGrainCallFilter
{
    private static readonly Lock FileLock = new();

    /// <inheritdoc />
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        // Read before the call: Orleans recycles the request once it is answered.
        var key = KeyOf(context);
        if (key is not null && point == HoldPoint.ResultRecords)
        {
            Held(key);
            await Task.Delay(Timeout.InfiniteTimeSpan);
        }

        await context.Invoke();
        if (key is not null && point == HoldPoint.FunctionAnswers)
        {
            Held(key);
            await Task.Delay(Timeout.InfiniteTimeSpan);
        }
    }

    private string? KeyOf(IOutgoingGrainCallContext context) => point switch
    {
        HoldPoint.FunctionAnswers when context.InterfaceMethod?.DeclaringType == typeof(IFunctionGrain) =>
            (context.Request.GetArgument(0) as FunctionCall)?.IdempotencyKey,
        HoldPoint.ResultRecords when context.InterfaceMethod?.DeclaringType == typeof(IGoalLedgerGrain) =>
            context.Request.GetArgument(0) as string,
        _ => null,
    };

    private void Held(string key)
    {
        lock (FileLock)
        {
            File.AppendAllLines(heldFile, [key]);
        }
    }
}

/// <summary>Where <see cref="HoldCalls"/> holds calls, each named by the environment variable that asks for it.</summary>
internal enum HoldPoint
{
    /// <summary>
    /// <c>MDL_TEST_HOLD_FUNCTION_ANSWERS</c>: a function's answer never reaches its goal. The function acted, and for an
    /// external one its worker's record of the result is written: a worker answers only after that write. (The goal's
    /// snapshot shows the record as soon as the goal holds it in memory, so it cannot tell a test the write is done.)
    /// </summary>
    FunctionAnswers,

    /// <summary>
    /// <c>MDL_TEST_HOLD_RESULT_RECORDS</c>: an external function's worker never records its result in the goal. The
    /// function acted, and nothing in the goal's state says so.
    /// </summary>
    ResultRecords,
}
