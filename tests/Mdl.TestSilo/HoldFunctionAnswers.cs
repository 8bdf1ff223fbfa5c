using Mdl.Functions;

namespace Mdl.TestSilo;

/// <summary>
/// Keeps every function's answer from reaching its goal: the function has acted (and its worker recorded the result
/// in the goal's state), but the goal never hears, as when the silo dies in between. Only for crash tests.
/// </summary>
/// <remarks>
/// Each held answer's idempotency key is appended to the file <see cref="Variable"/> names. A worker answers only once its
/// record of an external call's result is written, so a key in that file tells a test the record is durable. The goal's
/// snapshot cannot: it shows the record as soon as the goal holds it in memory, while its write may still be running.
/// </remarks>
internal sealed class HoldFunctionAnswers(string heldFile) : IOutgoingGrainCallFilter
{
    /// <summary>Set to the file held answers' keys are appended to, to hold answers.</summary>
    public const string Variable = "MDL_TEST_HOLD_FUNCTION_ANSWERS";

    private static readonly Lock FileLock = new();

    /// <inheritdoc />
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        // Read before the call: Orleans recycles the request once it is answered.
        var call = context.InterfaceMethod?.DeclaringType == typeof(IFunctionGrain) ? context.Request.GetArgument(0) as FunctionCall : null;
        await context.Invoke();
        if (call is not null)
        {
            lock (FileLock)
            {
                File.AppendAllLines(heldFile, [call.IdempotencyKey]);
            }

            await Task.Delay(Timeout.InfiniteTimeSpan);
        }
    }
}
