using Mdl.Decisions;

namespace Mdl.Goals;

/// <summary>What a goal knows and does right now: the answer of <c>GET /api/goals/{goalId}</c>.</summary>
[GenerateSerializer, Immutable, Alias("mdl.GoalSnapshot")]
public sealed record GoalSnapshot
{
    /// <summary>The goal's id.</summary>
    [Id(0)] public string GoalId { get; init; } = "";

    /// <summary><c>active</c>, <c>paused</c> (observes, does not act) or <c>deleted</c> (keeps its history, no longer observes or acts).</summary>
    [Id(1)] public string Status { get; init; } = GoalStatus.Active;

    /// <summary>The definition in force.</summary>
    [Id(2)] public GoalDefinition Definition { get; init; } = new();

    /// <summary>How many times the definition has been put.</summary>
    [Id(3)] public int Version { get; init; }

    /// <summary>Current metric values; a metric with no value yet is absent.</summary>
    [Id(4)] public Dictionary<string, double> Metrics { get; init; } = [];

    /// <summary>Each objective with its value and gap.</summary>
    [Id(5)] public ObjectiveStatus[] Objectives { get; init; } = [];

    /// <summary>Actions called and not yet answered.</summary>
    [Id(6)] public InFlightAction[] InFlight { get; init; } = [];

    /// <summary>What the goal has spent.</summary>
    [Id(7)] public SpendSnapshot Spend { get; init; } = new();

    /// <summary>Observations processed (duplicates not counted).</summary>
    [Id(8)] public long ObservationsProcessed { get; init; }

    /// <summary>Observations ignored because their id had been seen.</summary>
    [Id(9)] public long DuplicatesIgnored { get; init; }

    /// <summary>Decide steps recorded.</summary>
    [Id(10)] public long DecisionsMade { get; init; }

    /// <summary>Functions called.</summary>
    [Id(11)] public long ActionsTaken { get; init; }

    /// <summary>The newest decision, if any.</summary>
    [Id(12)] public DecisionRecord? LastDecision { get; init; }

    /// <summary>When the goal last changed.</summary>
    [Id(13)] public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Goal statuses.</summary>
public static class GoalStatus
{
    /// <summary>Observing and acting.</summary>
    public const string Active = "active";

    /// <summary>Paused: keeps observing and updating its metrics, but does not act until resumed.</summary>
    public const string Paused = "paused";

    /// <summary>Deleted: history kept, no longer observing or acting.</summary>
    public const string Deleted = "deleted";
}

/// <summary>One objective evaluated against the goal's current metrics.</summary>
[GenerateSerializer, Immutable, Alias("mdl.ObjectiveStatus")]
public sealed record ObjectiveStatus
{
    /// <summary>The metric.</summary>
    [Id(0)] public string Metric { get; init; } = "";

    /// <summary>The comparison.</summary>
    [Id(1)] public string Op { get; init; } = "";

    /// <summary>The target.</summary>
    [Id(2)] public double Target { get; init; }

    /// <summary>The weight.</summary>
    [Id(3)] public double Weight { get; init; }

    /// <summary>The metric's value, or null when nothing has been observed yet.</summary>
    [Id(4)] public double? Value { get; init; }

    /// <summary>The value once the expected effects of pending actions land.</summary>
    [Id(5)] public double? Projected { get; init; }

    /// <summary>How far the value is from the target, in units of the objective's scale; 0 when satisfied or unknown.</summary>
    [Id(6)] public double Gap { get; init; }

    /// <summary>Whether the value meets the target (false when it is unknown).</summary>
    [Id(7)] public bool Satisfied { get; init; }
}

/// <summary>An action that has been decided and called, and whose outcome has not come back yet.</summary>
[GenerateSerializer, Immutable, Alias("mdl.InFlightAction")]
public sealed record InFlightAction
{
    /// <summary>The decision that called it.</summary>
    [Id(0)] public long DecisionSeq { get; init; }

    /// <summary>The function called.</summary>
    [Id(1)] public string Function { get; init; } = "";

    /// <summary>When it was called.</summary>
    [Id(2)] public DateTimeOffset StartedAt { get; init; }

    /// <summary>The idempotency key the call carries: <c>goalId/decisionSeq</c>.</summary>
    [Id(3)] public string IdempotencyKey { get; init; } = "";

    /// <summary>
    /// Whether the function's result is recorded in the goal's state (an <c>external</c> call that completed but whose
    /// outcome is not applied yet). True from when the goal takes the record, which may be before its write completes;
    /// the worker answers only after it.
    /// </summary>
    [Id(4)] public bool ResultRecorded { get; init; }
}

/// <summary>Spend against the budget.</summary>
[GenerateSerializer, Immutable, Alias("mdl.SpendSnapshot")]
public sealed record SpendSnapshot
{
    /// <summary>Spent in the last 24 hours.</summary>
    [Id(0)] public double LastDay { get; init; }

    /// <summary>Spent since the goal was defined.</summary>
    [Id(1)] public double Total { get; init; }

    /// <summary>The rolling daily cap, if any.</summary>
    [Id(2)] public double? PerDay { get; init; }
}
