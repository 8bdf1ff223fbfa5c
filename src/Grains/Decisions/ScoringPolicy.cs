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

    // The weights of a definition that names none; options are immutable, so one instance serves every decision.
    private static readonly DecisionPolicyOptions DefaultWeights = new();

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <inheritdoc />
    public ValueTask<DecisionProposal> DecideAsync(DecisionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Decide(context));

    /// <summary>The decision, synchronously.</summary>
    public static DecisionProposal Decide(DecisionContext context)
    {
        var definition = context.Definition;
        var weights = definition.Policy ?? DefaultWeights;
        var gaps = new Dictionary<string, double>();
        foreach (var objective in definition.Objectives)
        {
            var gap = GapCalculator.Gap(objective, context.Projected.GetValueOrDefault(objective.Metric));
            if (gap > 0)
            {
                gaps[objective.Metric] = Math.Max(gaps.GetValueOrDefault(objective.Metric), gap);
            }
        }

        // Plain loops: this runs for every decision, on the path from the observation to the call.
        var evaluations = new CandidateEvaluation[context.Candidates.Count];
        CandidateEvaluation? best = null;
        var scored = 0;
        for (var i = 0; i < evaluations.Length; i++)
        {
            var evaluation = evaluations[i] = Evaluate(context.Candidates[i], context, weights);
            if (evaluation.Utility is null)
            {
                continue;
            }

            scored++;
            if (best is null || IsBetter(evaluation, best))
            {
                best = evaluation;
            }
        }

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

        // Formatted in one string, not through Format's: every decision that acts has this reason.
        return new DecisionProposal(
            evaluations,
            best.Function,
            best.Utility,
            string.Create(CultureInfo.InvariantCulture, $"chose {best.Function}: utility {best.Utility!.Value:0.####}, best of {scored} scored"),
            gaps);
    }

    /// <summary>Higher utility first; then the lower cost penalty; then the function's name, so the choice is deterministic.</summary>
    private static bool IsBetter(CandidateEvaluation candidate, CandidateEvaluation best)
    {
        var byUtility = candidate.Utility!.Value.CompareTo(best.Utility!.Value);
        if (byUtility != 0)
        {
            return byUtility > 0;
        }

        var byCost = candidate.CostPenalty.CompareTo(best.CostPenalty);
        return byCost != 0 ? byCost < 0 : string.CompareOrdinal(candidate.Function, best.Function) < 0;
    }

    private static CandidateEvaluation Evaluate(CandidateFunction candidate, DecisionContext context, DecisionPolicyOptions weights)
    {
        if (candidate.Descriptor is not { } descriptor)
        {
            return Excluded(candidate, "not offered by any silo");
        }

        if (candidate.CircuitOpen)
        {
            return Excluded(candidate, "circuit open");
        }

        var definition = context.Definition;
        if (definition.Budget?.PerDay is { } perDay && context.SpentLastDay + descriptor.Cost > perDay + 1e-12)
        {
            return Excluded(
                candidate,
                $"over budget: spent {Format(context.SpentLastDay)} of {Format(perDay)} in the last day, a call costs {Format(descriptor.Cost)}");
        }

        var latencyMs = candidate.ObservedP95Ms ?? descriptor.ExpectedLatencyMs;
        if (definition.DeadlineMs is { } deadline && candidate.ObservedP95Ms is { } p95 && p95 > deadline)
        {
            return Excluded(candidate, $"p95 latency {Format(p95)} ms exceeds the deadline of {deadline} ms");
        }

        double reduction = 0;
        var movesViolated = false;
        string? breaks = null;
        double correctionSum = 0;
        var corrections = 0;
        foreach (var objective in definition.Objectives)
        {
            if (!descriptor.Effects.TryGetValue(objective.Metric, out var declared) || declared == 0)
            {
                continue;
            }

            var correction = candidate.Corrections.GetValueOrDefault(objective.Metric, 1.0);
            correctionSum += correction;
            corrections++;
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

        var correctionShown = corrections == 0 ? 1.0 : correctionSum / corrections;
        if (breaks is not null || !movesViolated)
        {
            return Excluded(candidate, breaks ?? "no declared effect moves a violated objective toward its target", correctionShown);
        }

        var costPenalty = weights.CostWeight * descriptor.Cost;
        var latencyPenalty = weights.LatencyWeight * latencyMs / 1000.0;
        return new CandidateEvaluation
        {
            Function = candidate.Name,
            GapReduction = reduction,
            CostPenalty = costPenalty,
            LatencyPenalty = latencyPenalty,
            Utility = reduction - costPenalty - latencyPenalty,
            EffectCorrection = correctionShown,
        };
    }

    private static CandidateEvaluation Excluded(CandidateFunction candidate, string why, double effectCorrection = 1.0) =>
        new() { Function = candidate.Name, Excluded = why, EffectCorrection = effectCorrection };

    private static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
