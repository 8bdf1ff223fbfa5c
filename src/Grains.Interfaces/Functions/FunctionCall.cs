using System.Text.Json;

namespace Mdl.Functions;

/// <summary>One call of a function by a goal.</summary>
[GenerateSerializer, Immutable, Alias("mdl.FunctionCall")]
public sealed record FunctionCall
{
    /// <summary>The function's name.</summary>
    [Id(0)] public string Function { get; init; } = "";

    /// <summary><c>goalId/decisionSeq</c>: a repeat of the same key must not act twice.</summary>
    [Id(1)] public string IdempotencyKey { get; init; } = "";

    /// <summary>The calling goal.</summary>
    [Id(2)] public string GoalId { get; init; } = "";

    /// <summary>The decision behind the call.</summary>
    [Id(3)] public long DecisionSeq { get; init; }

    /// <summary>The arguments.</summary>
    [Id(4)] public JsonElement Arguments { get; init; }

    /// <summary>The permissions the goal holds.</summary>
    [Id(5)] public string[] Grants { get; init; } = [];

    /// <summary>Whether the goal re-issues a call that was in flight when it last stopped (the first attempt may have acted).</summary>
    [Id(6)] public bool Reissued { get; init; }
}

/// <summary>A function call refused on the call path: the caller is not the goal it claims, or lacks the permission.</summary>
[GenerateSerializer, Alias("mdl.FunctionCallRefusedException")]
public sealed class FunctionCallRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FunctionCallRefusedException(string message)
        : base(message)
    {
    }
}

/// <summary>What a function answered.</summary>
[GenerateSerializer, Immutable, Alias("mdl.FunctionResult")]
public sealed record FunctionResult
{
    /// <summary>Whether it did what it was asked.</summary>
    [Id(0)] public bool Succeeded { get; init; }

    /// <summary>Its output (a JSON value).</summary>
    [Id(1)] public JsonElement? Output { get; init; }

    /// <summary>What went wrong, when it did not succeed.</summary>
    [Id(2)] public string? Error { get; init; }

    /// <summary>A successful result carrying <paramref name="output"/>.</summary>
    public static FunctionResult Success(object? output) => new()
    {
        Succeeded = true,
        Output = output is JsonElement element ? element : JsonSerializer.SerializeToElement(output, MdlJson.Options),
    };

    /// <summary>A failed result.</summary>
    public static FunctionResult Failure(string error) => new() { Succeeded = false, Error = error };
}

/// <summary>The common interface of function grains: stateless workers that do one thing when a goal asks.</summary>
[Alias("mdl.IFunctionGrain")]
public interface IFunctionGrain : IGrainWithStringKey
{
    /// <summary>Runs the function.</summary>
    [Alias("Invoke")]
    Task<FunctionResult> InvokeAsync(FunctionCall call);
}
