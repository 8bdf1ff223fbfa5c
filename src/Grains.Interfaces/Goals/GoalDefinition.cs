using System.Text.Json;

namespace Mdl.Goals;

/// <summary>What a goal wants, what it watches and what it may do: the body of <c>PUT /api/goals/{goalId}</c>.</summary>
[GenerateSerializer, Immutable, Alias("mdl.GoalDefinition")]
public sealed record GoalDefinition
{
    /// <summary>The kind of goal (e.g. <c>engagement</c>); selects a C#-coded policy when one is registered for it.</summary>
    [Id(0)] public string Kind { get; init; } = "generic";

    /// <summary>A human description.</summary>
    [Id(1)] public string? Description { get; init; }

    /// <summary>Targets over metrics. The goal acts while one of them is violated.</summary>
    [Id(2)] public ObjectiveDefinition[] Objectives { get; init; } = [];

    /// <summary>How metrics are derived from observations.</summary>
    [Id(3)] public MetricMapping[] Metrics { get; init; } = [];

    /// <summary>Topic streams the goal subscribes to, in addition to its own stream.</summary>
    [Id(4)] public string[] Topics { get; init; } = [];

    /// <summary>The functions the goal may call.</summary>
    [Id(5)] public string[] AllowedFunctions { get; init; } = [];

    /// <summary>Spending limits.</summary>
    [Id(6)] public GoalBudget? Budget { get; init; }

    /// <summary>The longest the goal will wait for a function: its call timeout, and functions whose observed p95 latency exceeds it are not chosen.</summary>
    [Id(7)] public int? DeadlineMs { get; init; }

    /// <summary>How many actions may be in flight at once.</summary>
    [Id(8)] public int MaxInFlight { get; init; } = 1;

    /// <summary>Weights of the scoring policy.</summary>
    [Id(9)] public DecisionPolicyOptions? Policy { get; init; }

    /// <summary>
    /// How long an action's declared effect is assumed to be on its way (ISO-8601 duration, default <c>PT10M</c>).
    /// Until the affected metric is observed again or this passes, the goal counts the effect as pending and does not act again on the same gap.
    /// </summary>
    [Id(10)] public string? EffectHorizon { get; init; }

    /// <summary>Free-form JSON handed to every function the goal calls (e.g. <c>{"userId": "55"}</c>).</summary>
    [Id(11)] public JsonElement? Context { get; init; }

    /// <summary>
    /// The permissions the goal holds. A function may be called only if its permission is among them, checked on the
    /// call path by a grain call filter. When absent, the goal holds exactly the permissions of its allowed functions.
    /// </summary>
    [Id(12)] public string[]? Grants { get; init; }

    /// <summary>Dotted paths masked in the audit log and in logs, e.g. <c>data.email</c> (an observation's data field).</summary>
    [Id(13)] public string[]? Sensitive { get; init; }
}

/// <summary>A target over a metric, e.g. <c>engagement.score &gt;= 0.6</c> with weight 1.</summary>
[GenerateSerializer, Immutable, Alias("mdl.ObjectiveDefinition")]
public sealed record ObjectiveDefinition
{
    /// <summary>The metric the objective is about; it must be mapped in <see cref="GoalDefinition.Metrics"/>.</summary>
    [Id(0)] public string Metric { get; init; } = "";

    /// <summary>One of <c>&gt;=</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&lt;</c>, <c>==</c>.</summary>
    [Id(1)] public string Op { get; init; } = "";

    /// <summary>The target value.</summary>
    [Id(2)] public double Target { get; init; }

    /// <summary>How much the objective counts against the others.</summary>
    [Id(3)] public double Weight { get; init; } = 1.0;

    /// <summary>What a gap of 1.0 means in metric units; defaults to |target| (or 1 when the target is 0).</summary>
    [Id(4)] public double? Scale { get; init; }
}

/// <summary>How one metric is derived from observations.</summary>
[GenerateSerializer, Immutable, Alias("mdl.MetricMapping")]
public sealed record MetricMapping
{
    /// <summary>The metric's name, e.g. <c>engagement.score</c>.</summary>
    [Id(0)] public string Name { get; init; } = "";

    /// <summary>The observation kind it is derived from, e.g. <c>user.activity</c>.</summary>
    [Id(1)] public string From { get; init; } = "";

    /// <summary>A dotted path to a number in the observation's data; required except for <c>count</c>.</summary>
    [Id(2)] public string? Field { get; init; }

    /// <summary>One of <c>last</c>, <c>sum</c>, <c>count</c>, <c>min</c>, <c>max</c>, <c>ewma</c>.</summary>
    [Id(3)] public string Aggregate { get; init; } = "last";

    /// <summary>An ISO-8601 duration (e.g. <c>P1D</c>, <c>PT5M</c>): only observations this recent count.</summary>
    [Id(4)] public string? Window { get; init; }

    /// <summary>For <c>action.result</c> observations: only the results of this function count.</summary>
    [Id(5)] public string? Function { get; init; }

    /// <summary>Only observations from this source count.</summary>
    [Id(6)] public string? Source { get; init; }

    /// <summary>The smoothing factor of <c>ewma</c>, in (0, 1]; default 0.5.</summary>
    [Id(7)] public double? Alpha { get; init; }
}

/// <summary>How much a goal may spend on function calls.</summary>
[GenerateSerializer, Immutable, Alias("mdl.GoalBudget")]
public sealed record GoalBudget
{
    /// <summary>The most the goal may spend in any rolling 24 hours; a hard cap.</summary>
    [Id(0)] public double? PerDay { get; init; }
}

/// <summary>The weights of the scoring policy: utility = gap reduction × weight − costWeight × cost − latencyWeight × latency (s).</summary>
[GenerateSerializer, Immutable, Alias("mdl.DecisionPolicyOptions")]
public sealed record DecisionPolicyOptions
{
    /// <summary>The policy's name: <c>scoring</c> (default), or one registered by the application.</summary>
    [Id(0)] public string Name { get; init; } = "scoring";

    /// <summary>Utility lost per unit of cost.</summary>
    [Id(1)] public double CostWeight { get; init; } = 1.0;

    /// <summary>Utility lost per second of observed latency.</summary>
    [Id(2)] public double LatencyWeight { get; init; } = 0.1;
}
