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

/// <summary><c>test.drain</c>: lowers <c>queue.depth</c> by 5 per call.</summary>
public sealed class DrainFunction : IAgentFunction
{
    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = "test.drain",
        Description = "Drains five items from the queue.",
        Cost = 0.1,
        ExpectedLatencyMs = 1,
        Effects = new() { ["queue.depth"] = -5 },
        SideEffect = SideEffectClass.Idempotent,
        Permission = "queue",
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        await TestFunctionLog.EnterAsync(call);
        return FunctionResult.Success(new { drained = 5 });
    }
}

/// <summary><c>test.boost</c>: raises <c>score</c> by 0.1 per call.</summary>
public sealed class BoostFunction : IAgentFunction
{
    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = "test.boost",
        Description = "Boosts the score.",
        Cost = 0.01,
        ExpectedLatencyMs = 1,
        Effects = new() { ["score"] = 0.1 },
        SideEffect = SideEffectClass.Idempotent,
        Permission = "boost",
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        await TestFunctionLog.EnterAsync(call);
        return FunctionResult.Success(new { boosted = 0.1 });
    }
}

/// <summary><c>test.broken</c>: always throws.</summary>
public sealed class BrokenFunction : IAgentFunction
{
    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = "test.broken",
        Description = "Always fails.",
        Cost = 0.001,
        ExpectedLatencyMs = 1,
        Effects = new() { ["score"] = 0.5 },
        SideEffect = SideEffectClass.External,
        Permission = "boost",
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        await TestFunctionLog.EnterAsync(call);
        throw new InvalidOperationException("the downstream service is down");
    }
}

/// <summary><c>test.flaky</c> (external, so never retried): fails while <see cref="Failing"/> is set; drains like <c>test.drain</c>.</summary>
public sealed class FlakyFunction : IAgentFunction
{
    /// <summary>Whether calls fail.</summary>
    public static volatile bool Failing = true;

    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = "test.flaky",
        Description = "Fails while told to.",
        Cost = 0.001,
        ExpectedLatencyMs = 1,
        Effects = new() { ["queue.depth"] = -5 },
        SideEffect = SideEffectClass.External,
        Permission = "queue",
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        await TestFunctionLog.EnterAsync(call);
        return Failing ? FunctionResult.Failure("flaky service unavailable") : FunctionResult.Success(new { drained = 5 });
    }
}

/// <summary><c>test.wobbly</c> (idempotent, so retried): fails the first two attempts of each idempotency key.</summary>
public sealed class WobblyFunction : IAgentFunction
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Attempts = new();

    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = "test.wobbly",
        Description = "Succeeds at the third attempt.",
        Cost = 0.001,
        ExpectedLatencyMs = 1,
        Effects = new() { ["queue.depth"] = -5 },
        SideEffect = SideEffectClass.Idempotent,
        Permission = "queue",
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        await TestFunctionLog.EnterAsync(call);
        var attempt = Attempts.AddOrUpdate(call.IdempotencyKey, 1, (_, n) => n + 1);
        if (attempt < 3)
        {
            throw new TimeoutException($"attempt {attempt} lost");
        }

        return FunctionResult.Success(new { attempt });
    }
}
