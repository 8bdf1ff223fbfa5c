using System.Text.Json;
using Mdl.Bench.Functions;
using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Bench.Goals;

/// <summary>The goal definitions and observations the harness drives.</summary>
internal static class BenchDefinitions
{
    /// <summary>The one metric of the benchmark goal.</summary>
    public const string Metric = "bench.level";

    /// <summary>The observation kind it is derived from.</summary>
    public const string Kind = "bench.reading";

    private static readonly JsonElement Low = JsonDocument.Parse("""{"value":0}""").RootElement.Clone();
    private static readonly JsonElement High = JsonDocument.Parse("""{"value":1}""").RootElement.Clone();
    private static readonly JsonElement Idle = JsonDocument.Parse("""{"score":0.2}""").RootElement.Clone();
    private static long _ids;

    /// <summary>
    /// <c>bench.level &gt;= 1</c>, where the level is the <c>last</c> reading and <c>bench.act</c> raises it by one.
    /// A reading of 0 opens a gap of exactly one action; a reading of 1 satisfies it.
    /// </summary>
    public static GoalDefinition Loop { get; } = new()
    {
        Kind = "bench",
        Description = "Benchmark goal: one action per low reading",
        Objectives = [new ObjectiveDefinition { Metric = Metric, Op = ">=", Target = 1, Weight = 1, Scale = 1 }],
        Metrics = [new MetricMapping { Name = Metric, From = Kind, Field = "value", Aggregate = "last" }],
        AllowedFunctions = [BenchActFunction.Name],
        MaxInFlight = 1,
    };

    /// <summary>The same metric with an objective every reading satisfies: a goal that records changes and never acts (the lazy backend's data).</summary>
    public static GoalDefinition Passive { get; } = Loop with
    {
        Description = "Benchmark goal: records readings, never acts",
        Objectives = [new ObjectiveDefinition { Metric = Metric, Op = ">=", Target = -1, Weight = 1, Scale = 1 }],
    };

    /// <summary>The user #55 definition, read from <c>examples/user-55.json</c> (embedded at build time).</summary>
    public static GoalDefinition User55()
    {
        using var stream = typeof(BenchDefinitions).Assembly.GetManifestResourceStream("user-55.json")
            ?? throw new InvalidOperationException("examples/user-55.json is not embedded in the harness");
        return JsonSerializer.Deserialize<GoalDefinition>(stream, MdlJson.Options)
            ?? throw new InvalidOperationException("examples/user-55.json did not parse");
    }

    /// <summary>A reading of 0: opens the benchmark goal's gap, so it acts.</summary>
    public static Observation Trigger() => Reading(Low);

    /// <summary>
    /// A reading of 1: the previous action's declared effect (+1) shows in full, so the goal's learnt correction stays at 1
    /// and the next trigger is judged exactly like the first.
    /// </summary>
    public static Observation Confirm() => Reading(High);

    /// <summary>A reading of <paramref name="value"/>.</summary>
    public static Observation Reading(double value) =>
        Reading(JsonSerializer.SerializeToElement(new { value }));

    /// <summary>A low engagement score for the user #55 goal.</summary>
    public static Observation IdleUser() => new()
    {
        Id = NextId(),
        Kind = "user.activity",
        Source = "bench",
        Time = DateTimeOffset.UtcNow,
        Data = Idle,
    };

    private static Observation Reading(JsonElement data) => new()
    {
        Id = NextId(),
        Kind = Kind,
        Source = "bench",
        Time = DateTimeOffset.UtcNow,
        Data = data,
    };

    private static string NextId() => "b" + Interlocked.Increment(ref _ids).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
