using System.Collections.Concurrent;
using Mdl.Functions;

namespace Mdl.Tests.Goals;

/// <summary>What the test functions were asked to do, per goal, and gates that hold their calls until a test releases them.</summary>
public static class TestFunctionLog
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<FunctionCall>> Calls = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    /// <summary>Calls made for <paramref name="goalId"/>, in order.</summary>
    public static FunctionCall[] CallsFor(string goalId) => Calls.TryGetValue(goalId, out var q) ? [.. q] : [];

    /// <summary>Holds every test-function call of <paramref name="goalId"/> until <see cref="Release"/>.</summary>
    public static void Hold(string goalId) => Gates[goalId] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets held calls of <paramref name="goalId"/> finish.</summary>
    public static void Release(string goalId)
    {
        if (Gates.TryRemove(goalId, out var gate))
        {
            gate.TrySetResult();
        }
    }

    internal static async Task EnterAsync(FunctionCall call)
    {
        Calls.GetOrAdd(call.GoalId, _ => new ConcurrentQueue<FunctionCall>()).Enqueue(call);
        if (Gates.TryGetValue(call.GoalId, out var gate))
        {
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}

/// <summary>A test function: logs each call (and waits at the goal's gate, if held), then answers with <see cref="Answer"/>.</summary>
public abstract class LoggedTestFunction(string name, string metric, double effect, string sideEffect, double cost, string permission) : IAgentFunction
{
    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = name,
        Description = $"Test function {name}.",
        Cost = cost,
        ExpectedLatencyMs = 1,
        Effects = new() { [metric] = effect },
        SideEffect = sideEffect,
        Permission = permission,
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        await TestFunctionLog.EnterAsync(call);
        return Answer(call);
    }

    /// <summary>The function's answer once the call is logged and let through.</summary>
    protected abstract FunctionResult Answer(FunctionCall call);
}

/// <summary>A function that lowers <c>queue.depth</c> by 5 per call; the functions below differ only in name.</summary>
public abstract class DrainingFunction(string name) : LoggedTestFunction(name, "queue.depth", -5, SideEffectClass.Idempotent, 0.1, "queue")
{
    /// <inheritdoc />
    protected override FunctionResult Answer(FunctionCall call) => FunctionResult.Success(new { drained = 5 });
}

/// <summary><c>test.drain</c>: lowers <c>queue.depth</c> by 5 per call.</summary>
public sealed class DrainFunction() : DrainingFunction("test.drain");

/// <summary><c>test.counted</c>: drains like <c>test.drain</c>; only the statistics test calls it, so its call count is that test's alone.</summary>
public sealed class CountedFunction() : DrainingFunction("test.counted");

/// <summary>
/// <c>test.traced</c>: drains like <c>test.drain</c>; only the telemetry tests call it. Its utility depends on its latency
/// as observed on the silo, which tests that hold <c>test.drain</c>'s calls raise: after them, a queue of depth 12 found
/// <c>test.drain</c> not worth calling, so the telemetry tests saw no action.
/// </summary>
public sealed class TracedFunction() : DrainingFunction("test.traced");

/// <summary><c>test.paced</c>: drains like <c>test.drain</c>; only the tests of a policy that takes its time call it.</summary>
public sealed class PacedFunction() : DrainingFunction("test.paced");

/// <summary><c>test.boost</c>: raises <c>score</c> by 0.1 per call.</summary>
public sealed class BoostFunction() : LoggedTestFunction("test.boost", "score", 0.1, SideEffectClass.Idempotent, 0.01, "boost")
{
    /// <inheritdoc />
    protected override FunctionResult Answer(FunctionCall call) => FunctionResult.Success(new { boosted = 0.1 });
}

/// <summary><c>test.broken</c>: always throws.</summary>
public sealed class BrokenFunction() : LoggedTestFunction("test.broken", "score", 0.5, SideEffectClass.External, 0.001, "boost")
{
    /// <inheritdoc />
    protected override FunctionResult Answer(FunctionCall call) => throw new InvalidOperationException("the downstream service is down");
}

/// <summary><c>test.flaky</c> (external, so never retried): fails while <see cref="Failing"/> is set; drains like <c>test.drain</c>.</summary>
public sealed class FlakyFunction() : LoggedTestFunction("test.flaky", "queue.depth", -5, SideEffectClass.External, 0.001, "queue")
{
    /// <summary>Whether calls fail.</summary>
    public static volatile bool Failing = true;

    /// <inheritdoc />
    protected override FunctionResult Answer(FunctionCall call) =>
        Failing ? FunctionResult.Failure("flaky service unavailable") : FunctionResult.Success(new { drained = 5 });
}

/// <summary><c>test.wobbly</c> (idempotent, so retried): fails the first two attempts of each idempotency key.</summary>
public sealed class WobblyFunction() : LoggedTestFunction("test.wobbly", "queue.depth", -5, SideEffectClass.Idempotent, 0.001, "queue")
{
    private static readonly ConcurrentDictionary<string, int> Attempts = new();

    /// <inheritdoc />
    protected override FunctionResult Answer(FunctionCall call)
    {
        var attempt = Attempts.AddOrUpdate(call.IdempotencyKey, 1, (_, n) => n + 1);
        return attempt < 3 ? throw new TimeoutException($"attempt {attempt} lost") : FunctionResult.Success(new { attempt });
    }
}

/// <summary><c>test.ship</c> (external, so its call waits for its decision's write): drains like <c>test.drain</c>.</summary>
public sealed class ShipFunction() : LoggedTestFunction("test.ship", "queue.depth", -5, SideEffectClass.External, 0.1, "queue")
{
    /// <inheritdoc />
    protected override FunctionResult Answer(FunctionCall call) => FunctionResult.Success(new { shipped = 5 });
}
