using Mdl.Functions;

namespace Mdl.TestSilo;

/// <summary>
/// Keeps every function's answer from reaching its goal: the function has acted (and its worker recorded the result
/// in the goal's state), but the goal never hears, as when the silo dies in between. Only for crash tests.
/// </summary>
internal sealed class HoldFunctionAnswers : IOutgoingGrainCallFilter
{
    /// <summary>Set to 1 to hold answers.</summary>
    public const string Variable = "MDL_TEST_HOLD_FUNCTION_ANSWERS";

    /// <inheritdoc />
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        await context.Invoke();
        if (context.InterfaceMethod?.DeclaringType == typeof(IFunctionGrain))
        {
            await Task.Delay(Timeout.InfiniteTimeSpan);
        }
    }
}
