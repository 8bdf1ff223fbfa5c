using System.Text.Json;
using System.Text.RegularExpressions;
using Mdl.Metrics;
using Mdl.Objectives;

namespace Mdl.Goals;

/// <summary>Checks a goal definition and names every bad field (JSON paths such as <c>objectives[0].op</c>). Pure.</summary>
public static partial class GoalDefinitionValidator
{
    /// <summary>The most of anything a definition may list (objectives, metrics, topics, functions).</summary>
    public const int MaxItems = 64;

    /// <summary>Returns field path → problems; empty when the definition is valid.</summary>
    /// <param name="definition">The definition.</param>
    /// <param name="knownFunctions">Names of the functions the cluster offers.</param>
    /// <param name="knownPolicies">Names of the decision policies registered.</param>
    /// <param name="permissionOf">A function's required permission, to check explicit grants against; null skips that check.</param>
    public static Dictionary<string, string[]> Validate(
        GoalDefinition? definition,
        IReadOnlyCollection<string> knownFunctions,
        IReadOnlyCollection<string> knownPolicies,
        Func<string, string?>? permissionOf = null)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        if (definition is null)
        {
            Add("$", "a goal definition is required");
            return Freeze(errors);
        }

        if (!IsName(definition.Kind))
        {
            Add("kind", "must be 1–64 letters, digits, '.', '-' or '_'");
        }

        if (definition.Description is { Length: > 1024 })
        {
            Add("description", "must be at most 1024 characters");
        }

        var metricNames = new HashSet<string>(StringComparer.Ordinal);
        var metrics = definition.Metrics ?? [];
        CheckCount("metrics", metrics.Length, Add);
        for (var i = 0; i < metrics.Length; i++)
        {
            var m = metrics[i];
            var at = $"metrics[{i}]";
            if (m is null)
            {
                Add(at, "must be an object");
                continue;
            }

            if (!IsName(m.Name))
            {
                Add($"{at}.name", "must be 1–64 letters, digits, '.', '-' or '_'");
            }
            else if (!metricNames.Add(m.Name))
            {
                Add($"{at}.name", $"metric '{m.Name}' is mapped twice");
            }

            if (!IsName(m.From))
            {
                Add($"{at}.from", "must name an observation kind (1–64 letters, digits, '.', '-' or '_')");
            }

            if (!Aggregates.All.Contains(m.Aggregate))
            {
                Add($"{at}.aggregate", $"unknown aggregate '{m.Aggregate}'; use one of {string.Join(", ", Aggregates.All)}");
            }
            else if (m.Aggregate != Aggregates.Count && string.IsNullOrWhiteSpace(m.Field))
            {
                Add($"{at}.field", $"is required for '{m.Aggregate}' (the path of a number in the observation's data)");
            }

            if (m.Field is not null && !IsPath(m.Field))
            {
                Add($"{at}.field", "must be a dotted path such as 'score' or 'order.total'");
            }

            if (m.Window is not null)
            {
                if (!Durations.TryParse(m.Window, out _))
                {
                    Add($"{at}.window", $"'{m.Window}' is not a positive ISO-8601 duration such as PT5M or P1D");
                }
                else if (!Aggregates.SupportsWindow(m.Aggregate))
                {
                    Add($"{at}.window", $"'{m.Aggregate}' does not take a window; its alpha sets how fast it forgets");
                }
            }

            if (m.Alpha is { } alpha && !(alpha > 0 && alpha <= 1))
            {
                Add($"{at}.alpha", "must be in (0, 1]");
            }
        }

        var objectives = definition.Objectives ?? [];
        if (objectives.Length == 0)
        {
            Add("objectives", "at least one objective is required");
        }

        CheckCount("objectives", objectives.Length, Add);
        for (var i = 0; i < objectives.Length; i++)
        {
            var o = objectives[i];
            var at = $"objectives[{i}]";
            if (o is null)
            {
                Add(at, "must be an object");
                continue;
            }

            if (string.IsNullOrWhiteSpace(o.Metric))
            {
                Add($"{at}.metric", "is required");
            }
            else if (!metricNames.Contains(o.Metric))
            {
                Add($"{at}.metric", $"metric '{o.Metric}' is not mapped; add it to 'metrics'");
            }

            if (!Comparisons.IsKnown(o.Op))
            {
                Add($"{at}.op", $"unknown operator '{o.Op}'; use one of {string.Join(", ", Comparisons.All)}");
            }

            if (!double.IsFinite(o.Target))
            {
                Add($"{at}.target", "must be a finite number");
            }

            if (!(double.IsFinite(o.Weight) && o.Weight > 0))
            {
                Add($"{at}.weight", "must be a positive number");
            }

            if (o.Scale is { } scale && !(double.IsFinite(scale) && scale > 0))
            {
                Add($"{at}.scale", "must be a positive number");
            }
        }

        var topics = definition.Topics ?? [];
        CheckCount("topics", topics.Length, Add);
        CheckNames("topics", topics, "topic", _ => null, Add);

        var functions = definition.AllowedFunctions ?? [];
        CheckCount("allowedFunctions", functions.Length, Add);
        CheckNames("allowedFunctions", functions, "function", name => knownFunctions.Contains(name)
            ? null
            : $"unknown function '{name}'; known: {string.Join(", ", knownFunctions.Order(StringComparer.Ordinal))}", Add);

        if (definition.Grants is { } grants)
        {
            CheckCount("grants", grants.Length, Add);
            CheckNames("grants", grants, "permission", _ => null, Add);
            for (var i = 0; i < functions.Length && permissionOf is not null; i++)
            {
                if (knownFunctions.Contains(functions[i]) && permissionOf(functions[i]) is { Length: > 0 } needed && !grants.Contains(needed))
                {
                    Add($"allowedFunctions[{i}]", $"function '{functions[i]}' needs permission '{needed}', which 'grants' does not include");
                }
            }
        }

        foreach (var (path, i) in (definition.Sensitive ?? []).Select((p, i) => (p, i)))
        {
            if (Audit.SensitiveMask.PathProblem(path) is { } problem)
            {
                Add($"sensitive[{i}]", problem);
            }
        }

        if (definition.Budget?.PerDay is { } perDay && !(double.IsFinite(perDay) && perDay >= 0))
        {
            Add("budget.perDay", "must be zero or a positive number");
        }

        if (definition.DeadlineMs is { } deadline && deadline <= 0)
        {
            Add("deadlineMs", "must be a positive number of milliseconds");
        }

        if (definition.MaxInFlight is < 1 or > 100)
        {
            Add("maxInFlight", "must be between 1 and 100");
        }

        if (definition.Policy is { } policy)
        {
            if (!knownPolicies.Contains(policy.Name))
            {
                Add("policy.name", $"unknown policy '{policy.Name}'; known: {string.Join(", ", knownPolicies.Order(StringComparer.Ordinal))}");
            }

            if (!(double.IsFinite(policy.CostWeight) && policy.CostWeight >= 0))
            {
                Add("policy.costWeight", "must be zero or a positive number");
            }

            if (!(double.IsFinite(policy.LatencyWeight) && policy.LatencyWeight >= 0))
            {
                Add("policy.latencyWeight", "must be zero or a positive number");
            }
        }

        if (definition.EffectHorizon is not null && !Durations.TryParse(definition.EffectHorizon, out _))
        {
            Add("effectHorizon", $"'{definition.EffectHorizon}' is not a positive ISO-8601 duration such as PT10M");
        }

        if (definition.Context is { } context && context.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            Add("context", "must be a JSON object");
        }

        return Freeze(errors);
    }

    /// <summary>Whether <paramref name="name"/> is a valid goal id, topic, metric or function name.</summary>
    public static bool IsName(string? name) => name is not null && NamePattern().IsMatch(name);

    private static bool IsPath(string path) => PathPattern().IsMatch(path);

    private static void CheckCount(string field, int count, Action<string, string> add)
    {
        if (count > MaxItems)
        {
            add(field, $"at most {MaxItems} entries");
        }
    }

    private static void CheckNames(string field, string[] names, string what, Func<string, string?> check, Action<string, string> add)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i];
            if (!IsName(name))
            {
                add($"{field}[{i}]", $"must be a {what} name (1–64 letters, digits, '.', '-' or '_')");
            }
            else if (!seen.Add(name))
            {
                add($"{field}[{i}]", $"{what} '{name}' is listed twice");
            }
            else if (check(name) is { } problem)
            {
                add($"{field}[{i}]", problem);
            }
        }
    }

    private static Dictionary<string, string[]> Freeze(Dictionary<string, List<string>> errors) =>
        errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$")]
    private static partial Regex PathPattern();
}
