using System.Globalization;
using Mdl.Goals;
using Mdl.Objectives;

namespace Mdl.Decisions;

/// <summary>
/// The default policy. Candidates are the allowed functions whose declared effects move a violated objective the right
/// way; it excludes those whose circuit is open, that would break the budget or the deadline, or that would violate an
/// objective now satisfied, and scores the rest:
/// utility = Σ weight × gap reduction (declared effect × learnt correction) − costWeight × cost − latencyWeight × latency (s).
/// The best positive utility wins; otherwise no action.
/// </summary>
public sealed class ScoringPolicy : IDecisionPolicy
{
    /// <summary>The policy's name.</summary>
    public const string PolicyName = "scoring";

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <inheritdoc />
    public ValueTask<DecisionProposal> DecideAsync(DecisionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Decide(context));

    /// <summary>The decision, synchronously.</summary>
    public static DecisionProposal Decide(DecisionContext context)
    {
        var definition = context.Definition;
        var weights = definition.Policy ?? new DecisionPolicyOptions();
        var gaps = new Dictionary<string, double>();
        foreach (var objective in definition.Objectives)
        {
            var gap = GapCalculator.Gap(objective, context.Projected.GetValueOrDefault(objective.Metric));
            if (gap > 0)
            {
                gaps[objective.Metric] = Math.Max(gaps.GetValueOrDefault(objective.Metric), gap);
            }
        }

        var evaluations = context.Candidates
            .Select(candidate => Evaluate(candidate, context, weights))
            .ToArray();

        var best = evaluations
            .Where(e => e.Utility is not null)
            .OrderByDescending(e => e.Utility)
            .ThenBy(e => e.CostPenalty)
            .ThenBy(e => e.Function, StringComparer.Ordinal)
            .FirstOrDefault();

        if (best is null)
        {
            var why = evaluations.Length == 0 ? "no functions are allowed" : "every candidate was excluded";
            return new DecisionProposal(evaluations, null, null, $"no action: {why}", gaps);
        }

        if (best.Utility <= 0)
        {
            return new DecisionProposal(
                evaluations, null, null, $"no action: best utility {Format(best.Utility!.Value)} ({best.Function}) is not positive", gaps);
        }

        var scored = evaluations.Count(e => e.Utility is not null);
        return new DecisionProposal(
            evaluations,
            best.Function,
            best.Utility,
            $"chose {best.Function}: utility {Format(best.Utility!.Value)}, best of {scored} scored",
            gaps);
    }

    private static CandidateEvaluation Evaluate(CandidateFunction candidate, DecisionContext context, DecisionPolicyOptions weights)
    {
        var evaluation = new CandidateEvaluation { Function = candidate.Name };
        if (candidate.Descriptor is not { } descriptor)
        {
            return evaluation with { Excluded = "not offered by any silo" };
        }

        if (candidate.CircuitOpen)
        {
            return evaluation with { Excluded = "circuit open" };
        }

        var definition = context.Definition;
        if (definition.Budget?.PerDay is { } perDay && context.SpentLastDay + descriptor.Cost > perDay + 1e-12)
        {
            return evaluation with
            {
                Excluded = $"over budget: spent {Format(context.SpentLastDay)} of {Format(perDay)} in the last day, a call costs {Format(descriptor.Cost)}",
            };
        }

        var latencyMs = candidate.ObservedP95Ms ?? descriptor.ExpectedLatencyMs;
        if (definition.DeadlineMs is { } deadline && candidate.ObservedP95Ms is { } p95 && p95 > deadline)
        {
            return evaluation with { Excluded = $"p95 latency {Format(p95)} ms exceeds the deadline of {deadline} ms" };
        }

        double reduction = 0;
        var movesViolated = false;
        string? breaks = null;
        var corrections = new List<double>();
        foreach (var objective in definition.Objectives)
        {
            if (!descriptor.Effects.TryGetValue(objective.Metric, out var declared) || declared == 0)
            {
                continue;
            }

            var correction = candidate.Corrections.GetValueOrDefault(objective.Metric, 1.0);
            corrections.Add(correction);
            var before = context.Projected.GetValueOrDefault(objective.Metric);
            var after = before + declared * correction;
            var gapBefore = GapCalculator.Gap(objective, before);
            var gapAfter = GapCalculator.Gap(objective, after);
            if (gapBefore > 0 && gapAfter < gapBefore)
            {
                movesViolated = true;
            }

            if (GapCalculator.IsSatisfied(objective, before) && !GapCalculator.IsSatisfied(objective, after))
            {
                breaks ??= $"would violate {objective.Metric} {objective.Op} {Format(objective.Target)} (now {Format(before!.Value)})";
            }

            reduction += objective.Weight * (gapBefore - gapAfter);
        }

        var correctionShown = corrections.Count == 0 ? 1.0 : corrections.Average();
        if (breaks is not null)
        {
            return evaluation with { Excluded = breaks, EffectCorrection = correctionShown };
        }

        if (!movesViolated)
        {
            return evaluation with { Excluded = "no declared effect moves a violated objective toward its target", EffectCorrection = correctionShown };
        }

        var costPenalty = weights.CostWeight * descriptor.Cost;
        var latencyPenalty = weights.LatencyWeight * latencyMs / 1000.0;
        return evaluation with
        {
            GapReduction = reduction,
            CostPenalty = costPenalty,
            LatencyPenalty = latencyPenalty,
            Utility = reduction - costPenalty - latencyPenalty,
            EffectCorrection = correctionShown,
        };
    }

    private static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
