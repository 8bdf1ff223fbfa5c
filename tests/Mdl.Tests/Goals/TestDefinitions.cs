using System.Text.Json;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Tests.Goals;

/// <summary>Builders shared by the unit tests of the pure loop logic: definitions, descriptors, observations, a function directory.</summary>
internal static class TestDefinitions
{
    /// <summary>A fixed, day-aligned instant: every test drives time explicitly from here.</summary>
    public static DateTimeOffset T0 { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The seed's user #55 definition from DESIGN.md §5, as JSON.</summary>
    public const string User55Json = """
        {
          "kind": "engagement",
          "description": "Keep user #55 engaged without spamming",
          "objectives": [
            { "metric": "engagement.score", "op": ">=", "target": 0.6, "weight": 1.0 },
            { "metric": "notifications.today", "op": "<=", "target": 3, "weight": 0.5 }
          ],
          "metrics": [
            { "name": "engagement.score", "from": "user.activity", "field": "score", "aggregate": "ewma" },
            { "name": "notifications.today", "from": "action.result", "function": "notify.push", "aggregate": "count", "window": "P1D" }
          ],
          "topics": ["catalog.updates"],
          "allowedFunctions": ["recommend.items", "notify.push"],
          "budget": { "perDay": 1.0 },
          "deadlineMs": 500,
          "maxInFlight": 2
        }
        """;

    /// <summary>The functions the user #55 example may call.</summary>
    public static string[] User55Functions { get; } = ["recommend.items", "notify.push"];

    /// <summary>The policies a silo registers by default.</summary>
    public static string[] Policies { get; } = ["scoring"];

    /// <summary>The user #55 definition, parsed the way the HTTP API parses it.</summary>
    public static GoalDefinition User55() =>
        JsonSerializer.Deserialize<GoalDefinition>(User55Json, MdlJson.Options)
        ?? throw new InvalidOperationException("the DESIGN.md example did not parse");

    /// <summary>
    /// A one-metric goal: <c>score</c> is the last <c>value</c> of <c>reading</c> observations and must reach
    /// <paramref name="target"/>; it may call <paramref name="functions"/> (default <c>boost</c>).
    /// </summary>
    public static GoalDefinition ScoreGoal(double target = 10, int maxInFlight = 1, double? perDay = null, params string[] functions) => new()
    {
        Kind = "test",
        Objectives = [Objective("score", ">=", target)],
        Metrics = [new MetricMapping { Name = "score", From = "reading", Field = "value", Aggregate = "last" }],
        AllowedFunctions = functions.Length == 0 ? ["boost"] : functions,
        Budget = perDay is null ? null : new GoalBudget { PerDay = perDay },
        MaxInFlight = maxInFlight,
    };

    /// <summary>An objective.</summary>
    public static ObjectiveDefinition Objective(string metric, string op, double target, double weight = 1.0, double? scale = null) =>
        new() { Metric = metric, Op = op, Target = target, Weight = weight, Scale = scale };

    /// <summary>A metric mapping.</summary>
    public static MetricMapping Mapping(
        string name,
        string from,
        string aggregate,
        string? field = null,
        string? window = null,
        string? function = null,
        string? source = null,
        double? alpha = null) =>
        new() { Name = name, From = from, Aggregate = aggregate, Field = field, Window = window, Function = function, Source = source, Alpha = alpha };

    /// <summary>A function descriptor with the given cost, expected latency and declared effects.</summary>
    public static FunctionDescriptor Descriptor(string name, double cost = 0, double latencyMs = 0, params (string Metric, double Effect)[] effects) => new()
    {
        Name = name,
        Description = $"test function {name}",
        Cost = cost,
        ExpectedLatencyMs = latencyMs,
        Effects = effects.ToDictionary(e => e.Metric, e => e.Effect),
    };

    /// <summary>An observation whose data is <paramref name="json"/>.</summary>
    public static Observation Event(string kind, string json = "{}", string? id = null, string? source = null, DateTimeOffset? time = null) => new()
    {
        Id = id ?? Observation.NewId(),
        Kind = kind,
        Source = source,
        Time = time ?? T0,
        Data = JsonDocument.Parse(json).RootElement.Clone(),
    };

    /// <summary>A <c>reading</c> observation carrying <paramref name="value"/>, the input of <see cref="ScoreGoal"/>.</summary>
    public static Observation Reading(double value, string? id = null) =>
        Event("reading", JsonSerializer.Serialize(new { value }), id);
}

/// <summary>An in-memory <see cref="IFunctionDirectory"/>: descriptors and health set by the test.</summary>
internal sealed class FakeFunctionDirectory : IFunctionDirectory
{
    private readonly Dictionary<string, FunctionDescriptor> _descriptors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FunctionHealth> _health = new(StringComparer.Ordinal);

    public FakeFunctionDirectory(params FunctionDescriptor[] descriptors)
    {
        foreach (var descriptor in descriptors)
        {
            Add(descriptor);
        }
    }

    public IReadOnlyCollection<string> Names => _descriptors.Keys.Order(StringComparer.Ordinal).ToArray();

    public FakeFunctionDirectory Add(FunctionDescriptor descriptor)
    {
        _descriptors[descriptor.Name] = descriptor;
        return this;
    }

    public FakeFunctionDirectory Remove(string name)
    {
        _descriptors.Remove(name);
        return this;
    }

    public FakeFunctionDirectory SetHealth(string name, double? p95Ms, bool circuitOpen = false)
    {
        _health[name] = new FunctionHealth(p95Ms, circuitOpen);
        return this;
    }

    public FunctionDescriptor? Find(string name) => _descriptors.GetValueOrDefault(name);

    public FunctionHealth Health(string name) => _health.GetValueOrDefault(name);
}
