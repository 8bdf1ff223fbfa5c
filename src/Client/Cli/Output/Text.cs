using System.Globalization;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;

namespace Mdl.Cli;

/// <summary>How the CLI writes the product's objects for people.</summary>
internal static class Text
{
    /// <summary>A number without noise: up to four decimals, invariant culture.</summary>
    public static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>A number, or <c>-</c> when unknown.</summary>
    public static string Number(double? value) => value is { } v ? Number(v) : "-";

    /// <summary>Milliseconds, or <c>-</c> when unknown.</summary>
    public static string Millis(double? value) => value is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) + "ms" : "-";

    /// <summary>A UTC time to the millisecond.</summary>
    public static string Time(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A goal: identity, objectives, metrics, in-flight actions, spend, counters and the last decision.</summary>
    public static void WriteGoal(TextWriter w, GoalSnapshot goal)
    {
        var definition = goal.Definition;
        w.WriteLine($"goal {goal.GoalId}  {goal.Status}  version {goal.Version}  kind {definition.Kind}  updated {Time(goal.UpdatedAt)}");
        if (!string.IsNullOrWhiteSpace(definition.Description))
        {
            w.WriteLine($"  {definition.Description}");
        }

        if (goal.Objectives.Length > 0)
        {
            w.WriteLine("objectives");
            var objectives = new TextTable("METRIC", "TARGET", "WEIGHT", "VALUE", "PROJECTED", "GAP", "SATISFIED");
            foreach (var o in goal.Objectives)
            {
                objectives.Add(o.Metric, $"{o.Op} {Number(o.Target)}", Number(o.Weight), Number(o.Value), Number(o.Projected), Number(o.Gap), o.Satisfied ? "yes" : "no");
            }

            objectives.WriteTo(w, "  ");
        }

        w.WriteLine(goal.Metrics.Count == 0
            ? "metrics      (none observed yet)"
            : "metrics      " + string.Join("  ", goal.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={Number(m.Value)}")));
        if (definition.Topics.Length > 0)
        {
            w.WriteLine($"topics       {string.Join(", ", definition.Topics)}");
        }

        w.WriteLine($"functions    {(definition.AllowedFunctions.Length == 0 ? "(none allowed)" : string.Join(", ", definition.AllowedFunctions))}");
        w.WriteLine(goal.InFlight.Length == 0
            ? "in flight    none"
            : "in flight    " + string.Join(", ", goal.InFlight.Select(a => $"{a.Function} (#{a.DecisionSeq})")));
        var cap = goal.Spend.PerDay is { } perDay ? $" of {Number(perDay)}" : "";
        w.WriteLine($"spend        {Number(goal.Spend.LastDay)}{cap} in the last day, {Number(goal.Spend.Total)} in total");
        w.WriteLine($"counters     {goal.ObservationsProcessed} observations, {goal.DuplicatesIgnored} duplicates, {goal.DecisionsMade} decisions, {goal.ActionsTaken} actions");
        if (goal.LastDecision is { } last)
        {
            w.WriteLine($"last         {DecisionLine(last)}");
        }
    }

    /// <summary>Decisions as a table, in the order given.</summary>
    public static void WriteDecisions(TextWriter w, IEnumerable<DecisionRecord> decisions, string indent = "")
    {
        var table = new TextTable("SEQ", "TIME", "TRIGGER", "CHOSEN", "UTILITY", "OUTCOME", "REASON");
        foreach (var d in decisions)
        {
            table.Add($"#{d.Seq}", Time(d.Time), d.Trigger.Kind, d.Chosen ?? "no action", Number(d.Utility), Outcome(d), d.Reason);
        }

        if (table.IsEmpty)
        {
            w.WriteLine($"{indent}(no decisions)");
            return;
        }

        table.WriteTo(w, indent);
    }

    /// <summary>One decision on one line, as <c>mdl watch</c> prints it.</summary>
    public static string DecisionLine(DecisionRecord d) =>
        $"#{d.Seq}  {Time(d.Time)}  {d.Trigger.Kind}  {d.Chosen ?? "no action"}  utility {Number(d.Utility)}  {Outcome(d)}  {d.Reason}".TrimEnd();

    /// <summary>Functions with their live statistics.</summary>
    public static void WriteFunctions(TextWriter w, IEnumerable<FunctionInfo> functions)
    {
        var table = new TextTable("NAME", "COST", "CALLS", "FAILURES", "P50", "P95", "SPEND", "CIRCUIT", "EFFECTS");
        foreach (var f in functions)
        {
            var effects = string.Join(" ", f.Descriptor.Effects.OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => $"{e.Key}{(e.Value >= 0 ? "+" : "")}{Number(e.Value)}"));
            table.Add(f.Descriptor.Name, Number(f.Descriptor.Cost), f.Stats.Calls.ToString(CultureInfo.InvariantCulture),
                f.Stats.Failures.ToString(CultureInfo.InvariantCulture), Millis(f.Stats.P50Ms), Millis(f.Stats.P95Ms),
                Number(f.Stats.Spend), f.Stats.Circuit, effects);
        }

        if (table.IsEmpty)
        {
            w.WriteLine("(no functions)");
            return;
        }

        table.WriteTo(w);
    }

    private static string Outcome(DecisionRecord d) => d.Outcome switch
    {
        null when d.Chosen is null => "-",
        null => "pending",
        { Error: { Length: > 0 } error } outcome => $"{outcome.Status} {Millis(outcome.DurationMs)} ({error})",
        var outcome => $"{outcome.Status} {Millis(outcome.DurationMs)}",
    };
}
