using System.Text.Json;

namespace Mdl.Decisions;

/// <summary>
/// The record of one Decide step: what triggered it, the gaps, every candidate with its score breakdown or the
/// reason it was excluded, the choice (or none), the arguments, and later the outcome.
/// </summary>
[GenerateSerializer, Immutable, Alias("mdl.DecisionRecord")]
public sealed record DecisionRecord
{
    /// <summary>The decision's sequence number within its goal, from 1.</summary>
    [Id(0)] public long Seq { get; init; }

    /// <summary>The goal that decided.</summary>
    [Id(1)] public string GoalId { get; init; } = "";

    /// <summary>When it was decided.</summary>
    [Id(2)] public DateTimeOffset Time { get; init; }

    /// <summary>The observation that triggered it.</summary>
    [Id(3)] public DecisionTrigger Trigger { get; init; } = new();

    /// <summary>Gap per violated metric at decision time (after pending effects).</summary>
    [Id(4)] public Dictionary<string, double> Gaps { get; init; } = [];

    /// <summary>Every allowed function, scored or excluded with a reason.</summary>
    [Id(5)] public CandidateEvaluation[] Candidates { get; init; } = [];

    /// <summary>The chosen function, or null for "no action".</summary>
    [Id(6)] public string? Chosen { get; init; }

    /// <summary>The chosen function's utility.</summary>
    [Id(7)] public double? Utility { get; init; }

    /// <summary>Why this choice (or why no action).</summary>
    [Id(8)] public string Reason { get; init; } = "";

    /// <summary>The arguments the function is called with.</summary>
    [Id(9)] public JsonElement? Arguments { get; init; }

    /// <summary>The policy that decided.</summary>
    [Id(10)] public string Policy { get; init; } = "scoring";

    /// <summary>The idempotency key of the call, <c>goalId/seq</c>, when a function was chosen.</summary>
    [Id(11)] public string? IdempotencyKey { get; init; }

    /// <summary>The outcome, once the function has answered (or failed, or timed out).</summary>
    [Id(12)] public ActionOutcome? Outcome { get; init; }
}

/// <summary>The observation behind a decision.</summary>
[GenerateSerializer, Immutable, Alias("mdl.DecisionTrigger")]
public sealed record DecisionTrigger
{
    /// <summary>The observation's id.</summary>
    [Id(0)] public string ObservationId { get; init; } = "";

    /// <summary>The observation's kind.</summary>
    [Id(1)] public string Kind { get; init; } = "";
}

/// <summary>One candidate of a Decide step: its score breakdown, or why it was excluded.</summary>
[GenerateSerializer, Immutable, Alias("mdl.CandidateEvaluation")]
public sealed record CandidateEvaluation
{
    /// <summary>The function.</summary>
    [Id(0)] public string Function { get; init; } = "";

    /// <summary>Why it was not considered, or null when it was scored.</summary>
    [Id(1)] public string? Excluded { get; init; }

    /// <summary>Weighted reduction of the goal's gaps expected from the call (after past-outcome correction).</summary>
    [Id(2)] public double GapReduction { get; init; }

    /// <summary>Cost weight × declared cost.</summary>
    [Id(3)] public double CostPenalty { get; init; }

    /// <summary>Latency weight × latency in seconds (observed p95, or declared when never called).</summary>
    [Id(4)] public double LatencyPenalty { get; init; }

    /// <summary>Gap reduction − cost penalty − latency penalty; null when excluded.</summary>
    [Id(5)] public double? Utility { get; init; }

    /// <summary>The factor learnt from past outcomes that scales the declared effects (1 = as declared).</summary>
    [Id(6)] public double EffectCorrection { get; init; } = 1.0;
}

/// <summary>How a called function answered.</summary>
[GenerateSerializer, Immutable, Alias("mdl.ActionOutcome")]
public sealed record ActionOutcome
{
    /// <summary><c>succeeded</c>, <c>failed</c> or <c>timed-out</c>.</summary>
    [Id(0)] public string Status { get; init; } = "";

    /// <summary>How long the call took.</summary>
    [Id(1)] public double DurationMs { get; init; }

    /// <summary>The function's output on success.</summary>
    [Id(2)] public JsonElement? Output { get; init; }

    /// <summary>What went wrong otherwise.</summary>
    [Id(3)] public string? Error { get; init; }

    /// <summary>When the outcome came back.</summary>
    [Id(4)] public DateTimeOffset CompletedAt { get; init; }
}

/// <summary>Outcome statuses.</summary>
public static class OutcomeStatus
{
    /// <summary>The function answered with a result.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>The function threw, refused, or returned something unusable.</summary>
    public const string Failed = "failed";

    /// <summary>The function did not answer within the timeout.</summary>
    public const string TimedOut = "timed-out";
}
