using System.Text.Json;

namespace Mdl.Functions;

/// <summary>What a function is, what it costs and what it is expected to do to metrics: what Decide weighs.</summary>
[GenerateSerializer, Immutable, Alias("mdl.FunctionDescriptor")]
public sealed record FunctionDescriptor
{
    /// <summary>The function's name, e.g. <c>notify.push</c>.</summary>
    [Id(0)] public string Name { get; init; } = "";

    /// <summary>What it does.</summary>
    [Id(1)] public string Description { get; init; } = "";

    /// <summary>Declared cost per call, in the unit budgets are expressed in.</summary>
    [Id(2)] public double Cost { get; init; }

    /// <summary>Expected latency; used until the function has been observed.</summary>
    [Id(3)] public double ExpectedLatencyMs { get; init; }

    /// <summary>Declared effect per call on metrics, e.g. <c>{"engagement.score": 0.1}</c>.</summary>
    [Id(4)] public Dictionary<string, double> Effects { get; init; } = [];

    /// <summary><c>read-only</c>, <c>idempotent</c> or <c>external</c>.</summary>
    [Id(5)] public string SideEffect { get; init; } = SideEffectClass.External;

    /// <summary>The permission a goal's grants must include to call it.</summary>
    [Id(6)] public string Permission { get; init; } = "";

    /// <summary>A JSON schema of the arguments.</summary>
    [Id(7)] public JsonElement? InputSchema { get; init; }

    /// <summary>The call timeout unless the goal's deadline is shorter.</summary>
    [Id(8)] public int TimeoutMs { get; init; } = 5_000;
}

/// <summary>Side-effect classes.</summary>
public static class SideEffectClass
{
    /// <summary>Changes nothing; safe to retry.</summary>
    public const string ReadOnly = "read-only";

    /// <summary>Changes something, but repeating it changes nothing more; safe to retry.</summary>
    public const string Idempotent = "idempotent";

    /// <summary>Changes the outside world each time (sends, pays); never retried blindly.</summary>
    public const string External = "external";

    /// <summary>
    /// Whether a call of this class may be repeated harmlessly (read-only or idempotent): such calls are retried, and go
    /// out without waiting for their decision to be written.
    /// </summary>
    public static bool IsRepeatSafe(string? sideEffect) => sideEffect is ReadOnly or Idempotent;
}
