using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using static Mdl.Tests.Goals.TestDefinitions;

namespace Mdl.Tests.Decisions;

public sealed class ScoringPolicyTests
{
    private const string NoMove = "no declared effect moves a violated objective toward its target";

    // score >= 10 is violated (projected 6: gap 0.4); spam <= 3 is satisfied (projected 1).
    private static GoalDefinition Goal(
        double costWeight = 0,
        double latencyWeight = 0,
        double? perDay = null,
        int? deadlineMs = null,
        double scoreWeight = 1.0,
        double spamWeight = 0.5) => new()
    {
        Kind = "test",
        Objectives = [Objective("score", ">=", 10, scoreWeight), Objective("spam", "<=", 3, spamWeight)],
        Metrics =
        [
            Mapping("score", "reading", "last", field: "value"),
            Mapping("spam", "action.result", "count", window: "P1D"),
        ],
        Budget = perDay is null ? null : new GoalBudget { PerDay = perDay },
        DeadlineMs = deadlineMs,
        Policy = new DecisionPolicyOptions { CostWeight = costWeight, LatencyWeight = latencyWeight },
    };

    private static DecisionContext Context(GoalDefinition definition, params CandidateFunction[] candidates) =>
        Context(definition, score: 6, spam: 1, spent: 0, candidates);

    private static DecisionContext Context(
        GoalDefinition definition, double? score, double? spam, double spent, params CandidateFunction[] candidates) =>
        new(
            "g1",
            definition with { AllowedFunctions = candidates.Select(c => c.Name).ToArray() },
            new Dictionary<string, double?> { ["score"] = score, ["spam"] = spam },
            candidates,
            spent);

    private static CandidateFunction Candidate(
        FunctionDescriptor descriptor, double? p95 = null, bool circuitOpen = false, Dictionary<string, double>? corrections = null) =>
        new(descriptor.Name, descriptor, p95, circuitOpen, corrections ?? []);

    private static CandidateFunction Raises(string name, double by, double cost = 0, double latencyMs = 0) =>
        Candidate(Descriptor(name, cost, latencyMs, ("score", by)));

    private static CandidateEvaluation Evaluation(DecisionProposal proposal, string function) =>
        Assert.Single(proposal.Candidates, c => c.Function == function);

    [Fact]
    public void Decide_chooses_the_function_with_the_highest_positive_utility()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), Raises("small", 1), Raises("big", 3), Raises("tiny", 0.5)));

        Assert.Equal("big", proposal.Chosen);
        Assert.Equal(0.3, proposal.Utility!.Value, 12);
        Assert.StartsWith("chose big", proposal.Reason, StringComparison.Ordinal);
        Assert.Equal(0.1, Evaluation(proposal, "small").Utility!.Value, 12);
        Assert.Equal(0.05, Evaluation(proposal, "tiny").Utility!.Value, 12);
    }

    [Fact]
    public void Decide_records_every_candidate_scored_or_excluded_with_a_reason()
    {
        var proposal = ScoringPolicy.Decide(Context(
            Goal(),
            Raises("small", 1),
            Candidate(Descriptor("broken", effects: [("score", 5)]), circuitOpen: true),
            new CandidateFunction("gone", null, null, false, new Dictionary<string, double>()),
            Candidate(Descriptor("unrelated", effects: [("other", 1)]))));

        Assert.Equal(new[] { "small", "broken", "gone", "unrelated" }, proposal.Candidates.Select(c => c.Function));
        Assert.All(proposal.Candidates, c => Assert.True(c.Utility is null != (c.Excluded is null), $"{c.Function}: scored xor excluded"));
        Assert.Null(Evaluation(proposal, "small").Excluded);
        Assert.Equal("small", proposal.Chosen);
    }

    [Fact]
    public void Decide_skips_function_whose_circuit_is_open()
    {
        var proposal = ScoringPolicy.Decide(Context(
            Goal(), Candidate(Descriptor("big", effects: [("score", 3)]), circuitOpen: true), Raises("small", 1)));

        var big = Evaluation(proposal, "big");
        Assert.Equal("circuit open", big.Excluded);
        Assert.Null(big.Utility);
        Assert.Equal("small", proposal.Chosen);
    }

    [Fact]
    public void Decide_skips_function_whose_call_would_exceed_the_daily_budget()
    {
        var proposal = ScoringPolicy.Decide(Context(
            Goal(perDay: 1.0), score: 6, spam: 1, spent: 0.95, Raises("pricey", 3, cost: 0.1), Raises("cheap", 1, cost: 0.05)));

        var pricey = Evaluation(proposal, "pricey");
        Assert.StartsWith("over budget", pricey.Excluded, StringComparison.Ordinal);
        Assert.Null(pricey.Utility);
        Assert.Equal("cheap", proposal.Chosen);
    }

    [Fact]
    public void Decide_allows_a_call_that_uses_exactly_the_rest_of_the_budget()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(perDay: 1.0), score: 6, spam: 1, spent: 0.7, Raises("fn", 3, cost: 0.3)));

        Assert.Null(Evaluation(proposal, "fn").Excluded);
        Assert.Equal("fn", proposal.Chosen);
    }

    [Fact]
    public void Decide_ignores_spend_when_the_goal_has_no_budget()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), score: 6, spam: 1, spent: 1_000, Raises("fn", 3, cost: 0.1)));

        Assert.Equal("fn", proposal.Chosen);
    }

    [Fact]
    public void Decide_skips_function_whose_observed_p95_exceeds_the_deadline()
    {
        var proposal = ScoringPolicy.Decide(Context(
            Goal(deadlineMs: 500),
            Candidate(Descriptor("slow", latencyMs: 50, effects: [("score", 3)]), p95: 800),
            Candidate(Descriptor("fast", latencyMs: 50, effects: [("score", 1)]), p95: 400)));

        var slow = Evaluation(proposal, "slow");
        Assert.NotNull(slow.Excluded);
        Assert.Contains("deadline", slow.Excluded, StringComparison.Ordinal);
        Assert.Null(Evaluation(proposal, "fast").Excluded);
        Assert.Equal("fast", proposal.Chosen);
    }

    [Fact]
    public void Decide_without_a_deadline_does_not_exclude_slow_functions()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), Candidate(Descriptor("slow", effects: [("score", 3)]), p95: 60_000)));

        Assert.Null(Evaluation(proposal, "slow").Excluded);
        Assert.Equal("slow", proposal.Chosen);
    }

    [Fact]
    public void Decide_skips_function_that_would_violate_a_satisfied_objective()
    {
        var spammy = Candidate(Descriptor("spammy", effects: [("score", 4), ("spam", 3)]));

        var proposal = ScoringPolicy.Decide(Context(Goal(), spammy, Raises("small", 1)));

        var excluded = Evaluation(proposal, "spammy").Excluded;
        Assert.NotNull(excluded);
        Assert.StartsWith("would violate spam <= 3", excluded, StringComparison.Ordinal);
        Assert.Equal("small", proposal.Chosen);
    }

    [Fact]
    public void Decide_allows_a_side_effect_that_keeps_a_satisfied_objective_satisfied()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), Candidate(Descriptor("nudge", effects: [("score", 4), ("spam", 2)]))));

        Assert.Null(Evaluation(proposal, "nudge").Excluded);
        Assert.Equal("nudge", proposal.Chosen);
    }

    [Fact]
    public void Decide_skips_function_that_does_not_move_a_violated_objective()
    {
        var proposal = ScoringPolicy.Decide(Context(
            Goal(),
            Candidate(Descriptor("unrelated", effects: [("other", 5)])),
            Candidate(Descriptor("wrong-way", effects: [("score", -2)])),
            Candidate(Descriptor("only-satisfied", effects: [("spam", -1)])),
            Candidate(Descriptor("nothing"))));

        Assert.All(proposal.Candidates, c => Assert.Equal(NoMove, c.Excluded));
        Assert.Null(proposal.Chosen);
        Assert.Contains("every candidate was excluded", proposal.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_skips_function_no_silo_offers()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), new CandidateFunction("gone", null, null, false, new Dictionary<string, double>())));

        Assert.Equal("not offered by any silo", Evaluation(proposal, "gone").Excluded);
        Assert.Null(proposal.Chosen);
    }

    [Fact]
    public void Decide_takes_no_action_when_the_best_utility_is_not_positive()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(costWeight: 1), Raises("pricey", 3, cost: 0.5), Raises("dear", 1, cost: 2)));

        Assert.Null(proposal.Chosen);
        Assert.Null(proposal.Utility);
        Assert.StartsWith("no action: best utility", proposal.Reason, StringComparison.Ordinal);
        Assert.Contains("pricey", proposal.Reason, StringComparison.Ordinal);

        // The scores are still on the record, so the refusal can be explained.
        Assert.Equal(-0.2, Evaluation(proposal, "pricey").Utility!.Value, 12);
        Assert.Equal(-1.9, Evaluation(proposal, "dear").Utility!.Value, 12);
    }

    [Fact]
    public void Decide_takes_no_action_when_the_best_utility_is_exactly_zero()
    {
        // A gap of 0.4 closed entirely by a call costing 0.4 gains nothing.
        var proposal = ScoringPolicy.Decide(Context(Goal(costWeight: 1), Raises("fn", 4, cost: 0.4)));

        Assert.Null(proposal.Chosen);
        Assert.StartsWith("no action", proposal.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_takes_no_action_when_no_functions_are_allowed()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal()));

        Assert.Null(proposal.Chosen);
        Assert.Empty(proposal.Candidates);
        Assert.Equal("no action: no functions are allowed", proposal.Reason);
    }

    [Fact]
    public void Decide_scales_the_gap_reduction_by_the_learnt_effect_correction()
    {
        var corrected = Candidate(Descriptor("big", effects: [("score", 3)]), corrections: new() { ["score"] = 0.5 });

        var proposal = ScoringPolicy.Decide(Context(Goal(), corrected));

        var big = Evaluation(proposal, "big");
        Assert.Equal(0.15, big.GapReduction, 12);
        Assert.Equal(0.5, big.EffectCorrection, 12);
    }

    [Fact]
    public void Decide_prefers_a_function_that_keeps_its_promise_over_one_that_has_underdelivered()
    {
        var underdelivers = Candidate(Descriptor("big", effects: [("score", 3)]), corrections: new() { ["score"] = 0.2 });

        var proposal = ScoringPolicy.Decide(Context(Goal(), underdelivers, Raises("small", 1)));

        Assert.Equal(0.06, Evaluation(proposal, "big").GapReduction, 12);
        Assert.Equal("small", proposal.Chosen);
    }

    [Fact]
    public void Decide_treats_a_function_learnt_to_have_no_effect_as_not_moving_the_gap()
    {
        var inert = Candidate(Descriptor("inert", effects: [("score", 3)]), corrections: new() { ["score"] = 0 });

        var proposal = ScoringPolicy.Decide(Context(Goal(), inert));

        Assert.Equal(NoMove, Evaluation(proposal, "inert").Excluded);
        Assert.Null(proposal.Chosen);
    }

    [Fact]
    public void Decide_subtracts_cost_and_latency_penalties_from_the_gap_reduction()
    {
        var fn = Candidate(Descriptor("fn", cost: 0.05, latencyMs: 50, effects: [("score", 3)]), p95: 400);

        var proposal = ScoringPolicy.Decide(Context(Goal(costWeight: 2, latencyWeight: 0.25), fn));

        var evaluation = Evaluation(proposal, "fn");
        Assert.Equal(0.3, evaluation.GapReduction, 12);
        Assert.Equal(0.1, evaluation.CostPenalty, 12);
        Assert.Equal(0.1, evaluation.LatencyPenalty, 12);
        Assert.Equal(0.1, evaluation.Utility!.Value, 12);
        Assert.Equal(0.1, proposal.Utility!.Value, 12);
    }

    [Fact]
    public void Decide_uses_declared_latency_until_the_function_has_been_observed()
    {
        var proposal = ScoringPolicy.Decide(Context(
            Goal(latencyWeight: 1),
            Candidate(Descriptor("never-called", latencyMs: 300, effects: [("score", 3)])),
            Candidate(Descriptor("observed", latencyMs: 300, effects: [("score", 3)]), p95: 100)));

        Assert.Equal(0.3, Evaluation(proposal, "never-called").LatencyPenalty, 12);
        Assert.Equal(0.1, Evaluation(proposal, "observed").LatencyPenalty, 12);
        Assert.Equal("observed", proposal.Chosen);
    }

    [Fact]
    public void Decide_applies_default_weights_when_the_goal_sets_none()
    {
        var definition = Goal() with { Policy = null };

        var proposal = ScoringPolicy.Decide(Context(definition, Raises("fn", 3, cost: 0.1, latencyMs: 500)));

        var evaluation = Evaluation(proposal, "fn");
        Assert.Equal(0.1, evaluation.CostPenalty, 12);
        Assert.Equal(0.05, evaluation.LatencyPenalty, 12);
        Assert.Equal(0.15, evaluation.Utility!.Value, 12);
    }

    [Fact]
    public void Decide_caps_the_gap_reduction_at_the_gap_it_closes()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), Raises("huge", 100)));

        Assert.Equal(0.4, Evaluation(proposal, "huge").GapReduction, 12);
    }

    [Fact]
    public void Decide_weights_the_gap_reduction_by_the_objective_weight()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(scoreWeight: 2.5), Raises("fn", 2)));

        Assert.Equal(0.5, Evaluation(proposal, "fn").GapReduction, 12);
    }

    [Fact]
    public void Decide_adds_the_reductions_of_every_violated_objective_a_function_moves()
    {
        // score 6 of >= 10 (gap 0.4, weight 1) and spam 5 of <= 3 (gap 2/3, weight 0.5) both move.
        var both = Candidate(Descriptor("both", effects: [("score", 2), ("spam", -1)]));

        var proposal = ScoringPolicy.Decide(Context(Goal(), score: 6, spam: 5, spent: 0, both));

        Assert.Equal(0.2 + 0.5 * (1.0 / 3), Evaluation(proposal, "both").GapReduction, 12);
        Assert.Equal("both", proposal.Chosen);
    }

    [Fact]
    public void Decide_reports_the_gaps_of_violated_objectives_only()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), Raises("fn", 1)));

        var gap = Assert.Single(proposal.Gaps);
        Assert.Equal("score", gap.Key);
        Assert.Equal(0.4, gap.Value, 12);
    }

    [Fact]
    public void Decide_treats_an_unknown_metric_as_nothing_to_act_on()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), score: null, spam: 1, spent: 0, Raises("fn", 3)));

        Assert.Empty(proposal.Gaps);
        Assert.Equal(NoMove, Evaluation(proposal, "fn").Excluded);
        Assert.Null(proposal.Chosen);
    }

    [Fact]
    public void Decide_breaks_a_tie_by_function_name_so_it_is_deterministic()
    {
        var proposal = ScoringPolicy.Decide(Context(Goal(), Raises("b.fn", 2), Raises("a.fn", 2)));

        Assert.Equal("a.fn", proposal.Chosen);
    }

    [Fact]
    public async Task DecideAsync_is_the_synchronous_decision_under_the_scoring_name()
    {
        var policy = new ScoringPolicy();
        var context = Context(Goal(), Raises("small", 1), Raises("big", 3));

        var proposal = await policy.DecideAsync(context, CancellationToken.None);

        Assert.Equal("scoring", policy.Name);
        Assert.Equal(ScoringPolicy.Decide(context).Chosen, proposal.Chosen);
        Assert.Equal("big", proposal.Chosen);
    }
}
