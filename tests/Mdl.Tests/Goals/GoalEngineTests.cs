using System.Text.Json;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using static Mdl.Tests.Goals.TestDefinitions;

namespace Mdl.Tests.Goals;

/// <summary>
/// The loop's core over <see cref="GoalState"/>, driven with explicit instants: Observe → Orient → Decide → Act and the
/// outcome's way back, with no cluster, clock or sleep.
/// </summary>
public sealed class GoalEngineTests
{
    private const string GoalId = "g1";

    /// <summary><c>score &gt;= 10</c>, fed by <c>reading.value</c>, calling <c>boost</c>; scored on gap reduction alone.</summary>
    private static GoalDefinition Goal(int maxInFlight = 1, double? perDay = null, params string[] functions) =>
        ScoreGoal(target: 10, maxInFlight: maxInFlight, perDay: perDay, functions) with
        {
            Policy = new DecisionPolicyOptions { CostWeight = 0, LatencyWeight = 0 },
        };

    private static FunctionDescriptor Boost(double effect = 4, double cost = 1) =>
        Descriptor("boost", cost, latencyMs: 100, ("score", effect));

    private static GoalEngine Engine(GoalDefinition definition, GoalEngineOptions? options = null, GoalState? state = null)
    {
        var engine = new GoalEngine(GoalId, state ?? new GoalState(), options ?? new GoalEngineOptions());
        engine.Define(definition, T0);
        return engine;
    }

    /// <summary>Orient's last step, the scoring policy and the commit, as the grain runs them.</summary>
    private static (DecisionRecord Decision, ActionRequest? Action) Decide(
        GoalEngine engine, IFunctionDirectory functions, DateTimeOffset now, Observation? trigger = null)
    {
        var context = engine.PrepareDecision(functions, now);
        Assert.NotNull(context);
        var proposal = ScoringPolicy.Decide(context);
        return engine.CommitDecision(context, proposal, ScoringPolicy.PolicyName, trigger ?? Reading(0), functions, now);
    }

    private static ActionOutcome Succeeded(DateTimeOffset at) =>
        new() { Status = OutcomeStatus.Succeeded, DurationMs = 42, Output = JsonDocument.Parse("""{"sent":true}""").RootElement.Clone(), CompletedAt = at };

    private static ActionOutcome Failed(DateTimeOffset at) =>
        new() { Status = OutcomeStatus.Failed, DurationMs = 7, Error = "boom", CompletedAt = at };

    private static double? Score(Dictionary<string, double?> metrics, string name = "score") => metrics[name];

    [Fact]
    public void Observe_applies_the_metric_mappings()
    {
        var engine = Engine(Goal());

        var result = engine.Observe(Reading(5), T0);

        Assert.Equal(ObserveResult.Relevant, result);
        Assert.Equal(5, Score(engine.Current(T0)));
        Assert.Equal(1, engine.State.ObservationsProcessed);
        Assert.Equal(T0, engine.State.UpdatedAt);
    }

    [Fact]
    public void Observe_ignores_a_repeated_observation_id()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5, id: "evt-1"), T0);

        var result = engine.Observe(Reading(7, id: "evt-1"), T0.AddSeconds(1));

        Assert.Equal(ObserveResult.Duplicate, result);
        Assert.Equal(5, Score(engine.Current(T0)));
        Assert.Equal(1, engine.State.ObservationsProcessed);
        Assert.Equal(1, engine.State.DuplicatesIgnored);
    }

    [Fact]
    public void Observe_forgets_ids_older_than_the_dedupe_window()
    {
        var engine = Engine(Goal(), new GoalEngineOptions { DedupeWindow = 2 });
        engine.Observe(Reading(1, id: "a"), T0);
        engine.Observe(Reading(2, id: "b"), T0);
        engine.Observe(Reading(3, id: "c"), T0);

        Assert.Equal(new[] { ObservationFingerprint.Of("b"), ObservationFingerprint.Of("c") }, engine.State.RecentObservations);
        Assert.Equal(ObserveResult.Duplicate, engine.Observe(Reading(9, id: "c"), T0));
        Assert.Equal(ObserveResult.Relevant, engine.Observe(Reading(4, id: "a"), T0));
        Assert.Equal(4, Score(engine.Current(T0)));

        // Remembering "a" again pushed "b" out.
        Assert.Equal(ObserveResult.Relevant, engine.Observe(Reading(5, id: "b"), T0));
        Assert.InRange(engine.State.RecentObservations.Count, 1, 2);
    }

    [Fact]
    public void Observe_dedupes_against_the_window_restored_from_state()
    {
        var state = new GoalState();
        var first = Engine(Goal(), state: state);
        first.Observe(Reading(5, id: "evt-1"), T0);

        // A new activation wraps the same persisted state.
        var second = new GoalEngine(GoalId, state, new GoalEngineOptions());

        Assert.Equal(ObserveResult.Duplicate, second.Observe(Reading(7, id: "evt-1"), T0));
        Assert.Equal(5, Score(second.Current(T0)));
    }

    [Fact]
    public void Observe_counts_an_irrelevant_observation_but_changes_no_metric()
    {
        var engine = Engine(Goal());

        Assert.Equal(ObserveResult.Irrelevant, engine.Observe(Event("user.login", """{"value":3}"""), T0));
        Assert.Equal(ObserveResult.Irrelevant, engine.Observe(Event("reading", """{"other":3}"""), T0));
        Assert.Equal(ObserveResult.Irrelevant, engine.Observe(Event("reading", """{"value":"3"}"""), T0));

        Assert.Equal(3, engine.State.ObservationsProcessed);
        Assert.Empty(engine.State.Metrics);
        Assert.Null(Score(engine.Current(T0)));
        Assert.Equal(0, engine.State.DuplicatesIgnored);
    }

    [Fact]
    public void PrepareDecision_returns_null_when_no_objective_is_violated()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost());
        engine.Observe(Reading(12), T0);

        Assert.Null(engine.PrepareDecision(functions, T0));
    }

    [Fact]
    public void PrepareDecision_returns_null_while_the_metric_is_unknown()
    {
        var engine = Engine(Goal());

        Assert.Null(engine.PrepareDecision(new FakeFunctionDirectory(Boost()), T0));
    }

    [Fact]
    public void PrepareDecision_describes_every_allowed_function_with_its_health()
    {
        var engine = Engine(Goal(1, null, "boost", "gone"));
        var functions = new FakeFunctionDirectory(Boost()).SetHealth("boost", p95Ms: 250, circuitOpen: true);
        engine.Observe(Reading(5), T0);

        var context = engine.PrepareDecision(functions, T0);

        Assert.NotNull(context);
        Assert.Equal(GoalId, context.GoalId);
        Assert.Equal(5, context.Projected["score"]);
        Assert.Equal(0, context.SpentLastDay);
        Assert.Equal(new[] { "boost", "gone" }, context.Candidates.Select(c => c.Name));
        var boost = context.Candidates[0];
        Assert.Same(functions.Find("boost"), boost.Descriptor);
        Assert.Equal(250, boost.ObservedP95Ms);
        Assert.True(boost.CircuitOpen);
        Assert.Empty(boost.Corrections);
        Assert.Null(context.Candidates[1].Descriptor);
    }

    [Fact]
    public void PrepareDecision_returns_null_when_max_in_flight_is_reached()
    {
        var engine = Engine(Goal(maxInFlight: 1));
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(2), T0);
        var (_, action) = Decide(engine, functions, T0);
        Assert.NotNull(action);

        // The gap is still far from closed (2 + 1 < 10), but the one slot is taken.
        engine.Observe(Reading(1), T0.AddSeconds(1));

        Assert.Equal(1, engine.InFlightCount);
        Assert.Null(engine.PrepareDecision(functions, T0.AddSeconds(1)));
    }

    [Fact]
    public void PrepareDecision_returns_null_once_the_goal_is_deleted()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(2), T0);

        engine.Delete(T0);

        Assert.False(engine.IsActive);
        Assert.True(engine.IsDefined);
        Assert.Null(engine.PrepareDecision(new FakeFunctionDirectory(Boost()), T0));
    }

    [Fact]
    public void Define_after_delete_brings_the_goal_back()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(2), T0);
        engine.Delete(T0);

        engine.Define(Goal(), T0.AddMinutes(1));

        Assert.True(engine.IsActive);
        Assert.Equal(2, engine.State.Version);
        Assert.NotNull(engine.PrepareDecision(new FakeFunctionDirectory(Boost()), T0.AddMinutes(1)));
    }

    [Fact]
    public void CommitDecision_records_the_decision_reserves_spend_and_puts_the_action_in_flight()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(cost: 0.25));
        var trigger = Reading(5, id: "evt-5");
        engine.Observe(trigger, T0);

        var (decision, action) = Decide(engine, functions, T0.AddSeconds(1), trigger);

        Assert.Equal(1, decision.Seq);
        Assert.Equal(GoalId, decision.GoalId);
        Assert.Equal("boost", decision.Chosen);
        Assert.Equal($"{GoalId}/1", decision.IdempotencyKey);
        Assert.Equal("evt-5", decision.Trigger.ObservationId);
        Assert.Equal("reading", decision.Trigger.Kind);
        Assert.Equal(ScoringPolicy.PolicyName, decision.Policy);
        Assert.Equal(T0.AddSeconds(1), decision.Time);
        Assert.Equal(0.4, decision.Utility!.Value, 12);
        Assert.Equal(0.5, decision.Gaps["score"], 12);
        Assert.Single(decision.Candidates);
        Assert.NotNull(decision.Arguments);

        Assert.NotNull(action);
        Assert.Equal(1, action.Seq);
        Assert.Equal("boost", action.Call.Function);
        Assert.Equal($"{GoalId}/1", action.Call.IdempotencyKey);
        Assert.Equal(GoalId, action.Call.GoalId);
        Assert.Equal(1, action.Call.DecisionSeq);

        Assert.Same(decision, engine.State.Decisions[^1]);
        Assert.Equal(1, engine.State.DecisionsMade);
        Assert.Equal(1, engine.State.ActionsTaken);
        Assert.Equal(1, engine.InFlightCount);
        var pending = Assert.Single(engine.State.Actions);
        Assert.True(pending.InFlight);
        Assert.Equal($"{GoalId}/1", pending.IdempotencyKey);
        Assert.Equal(4, pending.ExpectedEffects["score"]);
        Assert.Equal(5, pending.Baselines["score"]);
        Assert.Equal(0.25, engine.SpentLastDay(T0.AddSeconds(1)), 12);
        Assert.Equal(0.25, engine.State.SpendTotal, 12);
    }

    [Fact]
    public void CommitDecision_numbers_decisions_in_sequence()
    {
        var engine = Engine(Goal(maxInFlight: 3));
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(1), T0);

        var keys = Enumerable.Range(0, 3).Select(_ => Decide(engine, functions, T0).Action!.Call.IdempotencyKey).ToArray();

        Assert.Equal(new[] { "g1/1", "g1/2", "g1/3" }, keys);
        Assert.Equal(3, engine.InFlightCount);
    }

    [Fact]
    public void InFlightDueAt_is_the_earliest_call_in_flight_past_its_timeout_and_the_grace()
    {
        var engine = Engine(Goal(maxInFlight: 3));
        var functions = new FakeFunctionDirectory(Boost(effect: 1) with { TimeoutMs = 5_000 });
        var grace = TimeSpan.FromSeconds(30);
        engine.Observe(Reading(1), T0);
        Assert.Null(engine.InFlightDueAt(grace));

        Decide(engine, functions, T0);
        Decide(engine, functions, T0.AddSeconds(2));
        Assert.Equal(T0.AddSeconds(35), engine.InFlightDueAt(grace));

        // Once the first call is answered, the second is the one that can be overdue; once both are, nothing is.
        engine.CompleteAction(1, Succeeded(T0.AddSeconds(3)), T0.AddSeconds(3));
        Assert.Equal(T0.AddSeconds(37), engine.InFlightDueAt(grace));
        engine.CompleteAction(2, Succeeded(T0.AddSeconds(4)), T0.AddSeconds(4));
        Assert.Null(engine.InFlightDueAt(grace));
    }

    [Fact]
    public void StampDue_sets_the_next_time_change_and_the_due_moment_a_grace_after_it_or_earlier_for_overdue_calls()
    {
        var engine = Engine(Goal() with { EffectHorizon = "PT1M" });
        var functions = new FakeFunctionDirectory(Boost() with { TimeoutMs = 5_000 });
        var grace = TimeSpan.FromSeconds(30);
        engine.Observe(Reading(1), T0);
        engine.StampDue(T0, grace);
        Assert.Null(engine.State.WakeAt);
        Assert.Null(engine.State.DueAt);

        // In flight: due when the call is overdue; nothing changes by time alone yet.
        Decide(engine, functions, T0);
        engine.StampDue(T0, grace);
        Assert.Null(engine.State.WakeAt);
        Assert.Equal(T0.AddSeconds(35), engine.State.DueAt);

        // Answered: its expected effect passes its horizon a minute later, and the goal is due a grace after that.
        engine.CompleteAction(1, Succeeded(T0.AddSeconds(2)), T0.AddSeconds(2));
        engine.StampDue(T0.AddSeconds(2), grace);
        Assert.Equal(T0.AddSeconds(62), engine.State.WakeAt);
        Assert.Equal(T0.AddSeconds(92), engine.State.DueAt);

        // A new activation restores the same due moment from the stored state.
        var restored = new GoalEngine(GoalId, engine.State, new GoalEngineOptions());
        engine.State.DueAt = null;
        restored.RestoreDue(grace);
        Assert.Equal(T0.AddSeconds(92), restored.State.DueAt);
    }

    [Fact]
    public void InFlightDueAt_is_null_for_a_deleted_goal_which_reissues_nothing()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(1), T0);
        Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        Assert.NotNull(engine.InFlightDueAt(TimeSpan.Zero));

        engine.Delete(T0.AddSeconds(1));

        Assert.Null(engine.InFlightDueAt(TimeSpan.Zero));
    }

    [Fact]
    public void CommitDecision_hands_the_function_the_goal_its_metrics_and_its_trigger()
    {
        var definition = Goal() with { Context = JsonDocument.Parse("""{"userId":"55"}""").RootElement.Clone() };
        var engine = Engine(definition);
        var trigger = Reading(5, id: "evt-9");
        engine.Observe(trigger, T0);

        var (_, action) = Decide(engine, new FakeFunctionDirectory(Boost()), T0, trigger);

        var arguments = action!.Call.Arguments;
        Assert.Equal(GoalId, arguments.GetProperty("goalId").GetString());
        Assert.Equal(1, arguments.GetProperty("decisionSeq").GetInt64());
        Assert.Equal("55", arguments.GetProperty("context").GetProperty("userId").GetString());
        Assert.Equal(5, arguments.GetProperty("metrics").GetProperty("score").GetDouble());
        Assert.Equal("evt-9", arguments.GetProperty("trigger").GetProperty("id").GetString());
    }

    [Fact]
    public void CommitDecision_writes_the_arguments_exactly_as_the_product_serializer_would()
    {
        // Functions may compare or hash their arguments: the hand-written document must stay byte-for-byte what
        // JsonSerializer with the product's options wrote before, escaping included.
        var definition = Goal() with { Context = JsonDocument.Parse("""{"userId":"55","note":"a<b & \u00e9"}""").RootElement.Clone() };
        var engine = Engine(definition);
        var trigger = Reading(5, id: "evt-\"10\"");
        engine.Observe(trigger, T0);

        var (_, action) = Decide(engine, new FakeFunctionDirectory(Boost()), T0, trigger);

        var expected = JsonSerializer.Serialize(
            new
            {
                goalId = GoalId,
                decisionSeq = 1L,
                context = definition.Context,
                metrics = new Dictionary<string, double> { ["score"] = 5 },
                trigger = new { id = trigger.Id, kind = trigger.Kind, data = trigger.Data },
            },
            MdlJson.Options);
        Assert.Equal(expected, action!.Call.Arguments.GetRawText());
    }

    [Fact]
    public void CommitDecision_without_a_goal_context_leaves_it_out_of_the_arguments()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);

        var (_, action) = Decide(engine, new FakeFunctionDirectory(Boost()), T0);

        Assert.False(action!.Call.Arguments.TryGetProperty("context", out _));
    }

    [Fact]
    public void CommitDecision_caps_the_call_timeout_at_the_goal_deadline()
    {
        var engine = Engine(Goal() with { DeadlineMs = 300 });
        engine.Observe(Reading(5), T0);

        var (_, action) = Decide(engine, new FakeFunctionDirectory(Boost()), T0);

        Assert.Equal(TimeSpan.FromMilliseconds(300), action!.Timeout);
    }

    [Fact]
    public void CommitDecision_of_no_action_records_the_decision_and_acts_not()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost());
        engine.Observe(Reading(5), T0);
        var context = engine.PrepareDecision(functions, T0)!;
        var proposal = new DecisionProposal([], null, null, "no action: testing", new Dictionary<string, double> { ["score"] = 0.5 });

        var (decision, action) = engine.CommitDecision(context, proposal, "test", Reading(5), functions, T0);

        Assert.Null(action);
        Assert.Null(decision.Chosen);
        Assert.Null(decision.IdempotencyKey);
        Assert.Equal("no action: testing", decision.Reason);
        Assert.Equal("test", decision.Policy);
        Assert.Equal(1, engine.State.DecisionsMade);
        Assert.Equal(0, engine.State.ActionsTaken);
        Assert.Empty(engine.State.Actions);
        Assert.Equal(0, engine.SpentLastDay(T0));
    }

    [Fact]
    public void CommitDecision_refuses_a_function_the_goal_may_not_call()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(), Descriptor("other", effects: [("score", 9)]));
        engine.Observe(Reading(5), T0);
        var context = engine.PrepareDecision(functions, T0)!;
        var proposal = new DecisionProposal([], "other", 1, "chose other", []);

        var (decision, action) = engine.CommitDecision(context, proposal, "rogue", Reading(5), functions, T0);

        Assert.Null(action);
        Assert.Null(decision.Chosen);
        Assert.Contains("may not call", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(0, engine.InFlightCount);
    }

    [Fact]
    public void CommitDecision_refuses_when_the_slots_filled_while_the_policy_was_deciding()
    {
        var engine = Engine(Goal(maxInFlight: 1));
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(5), T0);
        var first = engine.PrepareDecision(functions, T0)!;
        var second = engine.PrepareDecision(functions, T0)!;

        var (_, firstAction) = engine.CommitDecision(first, ScoringPolicy.Decide(first), "scoring", Reading(5), functions, T0);
        var (decision, secondAction) = engine.CommitDecision(second, ScoringPolicy.Decide(second), "scoring", Reading(5), functions, T0);

        Assert.NotNull(firstAction);
        Assert.Null(secondAction);
        Assert.Contains("max in flight", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(1, engine.InFlightCount);
    }

    [Fact]
    public void CommitDecision_refuses_when_the_budget_was_spent_while_the_policy_was_deciding()
    {
        var engine = Engine(Goal(maxInFlight: 2, perDay: 1.5));
        var functions = new FakeFunctionDirectory(Boost(effect: 1, cost: 1));
        engine.Observe(Reading(5), T0);
        var first = engine.PrepareDecision(functions, T0)!;
        var second = engine.PrepareDecision(functions, T0)!;

        engine.CommitDecision(first, ScoringPolicy.Decide(first), "scoring", Reading(5), functions, T0);
        var (decision, action) = engine.CommitDecision(second, ScoringPolicy.Decide(second), "scoring", Reading(5), functions, T0);

        Assert.Null(action);
        Assert.Contains("budget", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(1, engine.SpentLastDay(T0), 12);
    }

    [Fact]
    public void In_flight_effects_count_in_projected_so_the_goal_does_not_act_twice_on_one_gap()
    {
        var engine = Engine(Goal(maxInFlight: 2));
        var functions = new FakeFunctionDirectory(Boost(effect: 4));
        engine.Observe(Reading(7), T0);
        Decide(engine, functions, T0);

        // Another reading of the same value arrives while boost is in flight: the gap is already being closed.
        engine.Observe(Reading(7), T0.AddSeconds(1));

        Assert.Equal(7, Score(engine.Current(T0.AddSeconds(1))));
        Assert.Equal(11, Score(engine.Projected(T0.AddSeconds(1))));
        Assert.Null(engine.PrepareDecision(functions, T0.AddSeconds(1)));
        Assert.Equal(1, engine.State.DecisionsMade);
    }

    [Fact]
    public void A_partly_covered_gap_is_still_acted_on_when_a_slot_is_free()
    {
        var engine = Engine(Goal(maxInFlight: 2));
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);

        var context = engine.PrepareDecision(functions, T0);

        Assert.NotNull(context);
        Assert.Equal(6, context.Projected["score"]);
        Assert.Equal(0.4, ScoringPolicy.Decide(context).Gaps["score"], 12);
    }

    [Fact]
    public void CompleteAction_records_the_outcome_and_returns_an_action_result_observation()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        var at = T0.AddMilliseconds(42);

        var completed = engine.CompleteAction(1, Succeeded(at), at);

        var (decision, result) = Assert.NotNull(completed);
        Assert.Equal(1, decision.Seq);
        Assert.Equal(OutcomeStatus.Succeeded, decision.Outcome?.Status);
        Assert.Equal(OutcomeStatus.Succeeded, engine.State.Decisions[^1].Outcome?.Status);

        Assert.Equal(ObservationKinds.ActionResult, result.Kind);
        Assert.Equal($"{GoalId}/1/result", result.Id);
        Assert.Equal(at, result.Time);
        var data = engine.DataOf(result);
        Assert.Equal("boost", data.GetProperty("function").GetString());
        Assert.Equal(1, data.GetProperty("decisionSeq").GetInt64());
        Assert.Equal(OutcomeStatus.Succeeded, data.GetProperty("status").GetString());
        Assert.True(data.GetProperty("output").GetProperty("sent").GetBoolean());

        Assert.Equal(0, engine.InFlightCount);
    }

    [Fact]
    public void CompleteAction_puts_the_returned_record_itself_in_the_state_with_everything_the_decision_had()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        var decided = engine.State.Decisions[^1];

        var (decision, _) = Assert.NotNull(engine.CompleteAction(1, Succeeded(T0), T0));

        // One record with the outcome, not a second copy of it: the goal's next write carries, and keeps the bytes of,
        // the very record the caller was handed.
        Assert.Same(decision, Assert.Single(engine.State.Decisions));
        Assert.Equal(decided with { Outcome = decision.Outcome }, decision);
        Assert.NotEmpty(decision.Candidates);
    }

    [Fact]
    public void RecordResult_keeps_the_first_result_of_an_in_flight_call_and_a_reissue_carries_it()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        var (_, action) = Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        Assert.NotNull(action);
        var key = action.Call.IdempotencyKey;
        Assert.Null(action.Recorded);
        Assert.False(action.Call.Reissued);

        Assert.True(engine.RecordResult(key, FunctionResult.Success(new { sent = 1 }), T0));
        Assert.False(engine.RecordResult(key, FunctionResult.Success(new { sent = 2 }), T0));
        Assert.False(engine.RecordResult($"{GoalId}/99", FunctionResult.Success(new { sent = 3 }), T0));

        // The state as a restarted goal loads it: the call is still in flight, with the first result recorded.
        var reissue = Assert.Single(engine.InFlightRequests());
        Assert.True(reissue.Call.Reissued);
        Assert.Equal(key, reissue.Call.IdempotencyKey);
        Assert.NotNull(reissue.Recorded);
        Assert.Equal(1, reissue.Recorded.Output!.Value.GetProperty("sent").GetInt32());
        Assert.True(Assert.Single(engine.Snapshot(T0).InFlight).ResultRecorded);
    }

    [Fact]
    public void CompleteAction_drops_what_only_a_reissue_needs_and_a_late_record_changes_nothing()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        var (_, action) = Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        var key = action!.Call.IdempotencyKey;
        engine.RecordResult(key, FunctionResult.Success(new { sent = true }), T0);

        engine.CompleteAction(1, Succeeded(T0), T0);

        // The action stays while its expected effect is pending, but needs no arguments, grants or result any more.
        var pending = Assert.Single(engine.State.Actions);
        Assert.Null(pending.Result);
        Assert.Equal(JsonValueKind.Undefined, pending.Arguments.ValueKind);
        Assert.Empty(pending.Grants);
        Assert.Equal(JsonValueKind.Object, engine.State.Decisions.Single(d => d.Seq == 1).Arguments!.Value.ValueKind);
        Assert.False(engine.RecordResult(key, FunctionResult.Success(new { sent = false }), T0));
        Assert.Empty(engine.InFlightRequests());
    }

    [Fact]
    public void CompleteAction_reports_a_failure_in_the_action_result()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        Decide(engine, new FakeFunctionDirectory(Boost()), T0);

        var (decision, result) = engine.CompleteAction(1, Failed(T0), T0)!.Value;

        Assert.Equal("boom", decision.Outcome?.Error);
        Assert.Equal(OutcomeStatus.Failed, engine.DataOf(result).GetProperty("status").GetString());
        Assert.Equal("boom", engine.DataOf(result).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CompleteAction_writes_the_result_data_exactly_as_the_product_serializer_would(bool succeeded)
    {
        // Goals' mappings and policies read the fed-back outcome: the hand-written document must stay what JsonSerializer
        // with the product's options wrote before, nulls left out and escaping included.
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        var outcome = succeeded
            ? new ActionOutcome { Status = OutcomeStatus.Succeeded, DurationMs = 1.0 / 3, Output = JsonDocument.Parse("""{"note":"a<b & \u00e9","n":[1,2.5]}""").RootElement.Clone() }
            : new ActionOutcome { Status = OutcomeStatus.Failed, DurationMs = 12.25, Error = "timed out <after> \"5\" s" };

        var (_, result) = engine.CompleteAction(1, outcome, T0)!.Value;

        var expected = JsonSerializer.Serialize(
            new { function = "boost", decisionSeq = 1L, status = outcome.Status, durationMs = outcome.DurationMs, output = outcome.Output, error = outcome.Error },
            MdlJson.Options);
        Assert.Equal(expected, engine.DataOf(result).GetRawText());
    }

    [Fact]
    public void A_call_carries_the_grants_of_the_definition_in_force_when_it_was_decided()
    {
        // The grants are worked out once per definition: a new definition's calls carry its own.
        var engine = Engine(Goal() with { Grants = ["first"] });
        var functions = new FakeFunctionDirectory(Boost());
        engine.Observe(Reading(5), T0);
        var (_, first) = Decide(engine, functions, T0);
        Assert.Equal(["first"], first!.Call.Grants);
        engine.CompleteAction(1, Failed(T0), T0);

        engine.Define(Goal() with { Grants = ["second"] }, T0.AddSeconds(1));
        engine.Observe(Reading(4), T0.AddSeconds(1));
        var (_, second) = Decide(engine, functions, T0.AddSeconds(1));
        Assert.Equal(["second"], second!.Call.Grants);
    }

    [Fact]
    public void An_outcome_is_written_as_JSON_at_once_only_for_a_goal_that_maps_a_metric_from_outcomes()
    {
        // No metric reads outcomes: the data waits until a decision asks for it (none does here), and goes when settled.
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        var (_, result) = engine.CompleteAction(1, Failed(T0), T0)!.Value;
        Assert.Equal(JsonValueKind.Object, result.Data.ValueKind);
        Assert.False(result.Data.TryGetProperty("status", out _));
        Assert.Equal("boom", engine.DataOf(result).GetProperty("error").GetString());
        engine.Settled(result);
        Assert.False(engine.DataOf(result).TryGetProperty("status", out _));

        // A goal counting failed calls reads every outcome: its data is there from the start.
        var counting = Engine(Goal() with
        {
            Metrics = [.. Goal().Metrics, new MetricMapping { Name = "failures", From = ObservationKinds.ActionResult, Aggregate = "count" }],
        });
        counting.Observe(Reading(5), T0);
        Decide(counting, new FakeFunctionDirectory(Boost()), T0);
        var (_, counted) = counting.CompleteAction(1, Failed(T0), T0)!.Value;
        Assert.Equal("boom", counted.Data.GetProperty("error").GetString());
    }

    [Fact]
    public void A_decision_an_outcome_triggers_hands_the_function_the_outcome_as_its_trigger_data()
    {
        // The call failed, so its effect will not come: the gap is open again and the outcome itself triggers the retry.
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost());
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);
        var (_, result) = engine.CompleteAction(1, Failed(T0), T0)!.Value;
        engine.Observe(result, T0, deduplicate: false);

        var (_, action) = Decide(engine, functions, T0, result);
        engine.Settled(result);

        var trigger = action!.Call.Arguments.GetProperty("trigger");
        Assert.Equal(ObservationKinds.ActionResult, trigger.GetProperty("kind").GetString());
        Assert.Equal(OutcomeStatus.Failed, trigger.GetProperty("data").GetProperty("status").GetString());
        Assert.Equal("boom", trigger.GetProperty("data").GetProperty("error").GetString());
        Assert.Equal(1, trigger.GetProperty("data").GetProperty("decisionSeq").GetInt64());
    }

    [Fact]
    public void CompleteAction_a_second_time_for_the_same_seq_returns_null()
    {
        var engine = Engine(Goal(maxInFlight: 2));
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);
        Decide(engine, functions, T0);

        Assert.NotNull(engine.CompleteAction(1, Succeeded(T0), T0));
        Assert.NotNull(engine.CompleteAction(2, Failed(T0), T0));

        Assert.Null(engine.CompleteAction(1, Succeeded(T0), T0.AddSeconds(1)));
        Assert.Null(engine.CompleteAction(2, Succeeded(T0), T0.AddSeconds(1)));
        Assert.Equal(OutcomeStatus.Failed, engine.State.Decisions.Single(d => d.Seq == 2).Outcome?.Status);
    }

    [Fact]
    public void CompleteAction_of_an_unknown_seq_returns_null()
    {
        var engine = Engine(Goal());

        Assert.Null(engine.CompleteAction(7, Succeeded(T0), T0));
    }

    [Fact]
    public void A_failed_action_leaves_no_pending_effect_and_the_gap_is_acted_on_again()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(cost: 0.1));
        engine.Observe(Reading(7), T0);
        Decide(engine, functions, T0);

        engine.CompleteAction(1, Failed(T0), T0);

        Assert.Empty(engine.State.Actions);
        Assert.Equal(7, Score(engine.Projected(T0)));
        Assert.NotNull(engine.PrepareDecision(functions, T0));

        // The call was made, so it was paid for.
        Assert.Equal(0.1, engine.SpentLastDay(T0), 12);
    }

    [Fact]
    public void A_completed_actions_effect_stays_pending_until_the_metric_is_observed()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(effect: 4));
        engine.Observe(Reading(7), T0);
        Decide(engine, functions, T0);

        engine.CompleteAction(1, Succeeded(T0), T0);

        Assert.Equal(0, engine.InFlightCount);
        Assert.Equal(11, Score(engine.Projected(T0.AddSeconds(1))));
        Assert.Null(engine.PrepareDecision(functions, T0.AddSeconds(1)));
    }

    [Fact]
    public void A_failed_call_pulls_the_correction_toward_zero()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);

        engine.CompleteAction(1, Failed(T0), T0);
        var once = engine.State.EffectCorrections["boost|score"];
        Decide(engine, functions, T0);
        engine.CompleteAction(2, Failed(T0), T0);
        var twice = engine.State.EffectCorrections["boost|score"];

        Assert.InRange(once, 0, 0.99);
        Assert.InRange(twice, 0, once - 1e-9);
    }

    [Fact]
    public void A_function_that_keeps_failing_is_given_up_on()
    {
        var engine = Engine(Goal() with { Policy = new DecisionPolicyOptions { CostWeight = 1, LatencyWeight = 0 } });
        var functions = new FakeFunctionDirectory(Boost(effect: 4, cost: 0.1));
        engine.Observe(Reading(5), T0);

        var calls = 0;
        DecisionRecord decision;
        while (true)
        {
            (decision, var action) = Decide(engine, functions, T0);
            if (action is null || calls == 20)
            {
                break;
            }

            calls++;
            engine.CompleteAction(action.Seq, Failed(T0), T0);
        }

        Assert.InRange(calls, 1, 19);
        Assert.Null(decision.Chosen);
        Assert.StartsWith("no action: best utility", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Observing_the_metric_realises_the_effect_and_moves_the_correction_toward_observed_over_declared()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(effect: 4));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Succeeded(T0), T0);

        // Declared +4, observed +2: ratio 0.5; learning rate 0.3 moves the correction from 1 to 0.85.
        engine.Observe(Reading(7), T0.AddSeconds(10));

        Assert.Empty(engine.State.Actions);
        Assert.Equal(0.85, engine.State.EffectCorrections["boost|score"], 12);
        Assert.Equal(7, Score(engine.Projected(T0.AddSeconds(10))));

        var context = engine.PrepareDecision(functions, T0.AddSeconds(10));
        Assert.NotNull(context);
        Assert.Equal(0.85, context.Candidates[0].Corrections["score"], 12);

        // The next call is expected to do what the function has been seen to do, not what it declares.
        Decide(engine, functions, T0.AddSeconds(10));
        Assert.Equal(3.4, engine.State.Actions.Single().ExpectedEffects["score"], 12);
        Assert.Equal(10.4, Score(engine.Projected(T0.AddSeconds(10)))!.Value, 12);
    }

    [Fact]
    public void Decide_sees_each_newly_learnt_correction_and_a_view_handed_out_never_changes()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(effect: 4));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Succeeded(T0), T0);
        engine.Observe(Reading(7), T0.AddSeconds(10)); // +2 of +4: 0.85

        var first = engine.PrepareDecision(functions, T0.AddSeconds(10))!.Candidates[0].Corrections;
        Assert.Equal(0.85, first["score"], 12);

        // The next call is expected to add 3.4 (4 declared × 0.85); it adds 1.7 of the 4 declared: 0.7 × 0.85 + 0.3 × 0.425.
        Decide(engine, functions, T0.AddSeconds(10));
        engine.CompleteAction(2, Succeeded(T0.AddSeconds(10)), T0.AddSeconds(10));
        engine.Observe(Reading(8.7), T0.AddSeconds(20));

        var learnt = engine.PrepareDecision(functions, T0.AddSeconds(20))!.Candidates[0].Corrections;
        Assert.Equal(0.7225, learnt["score"], 12);
        Assert.Equal(0.85, first["score"], 12); // what a policy was handed is not changed under it
    }

    [Fact]
    public void An_effect_that_shows_exactly_as_expected_leaves_the_learnt_correction_as_it_was()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(effect: 2));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Succeeded(T0), T0);
        engine.Observe(Reading(7), T0.AddSeconds(10)); // +2 of +2: the correction is learnt, and is 1

        Decide(engine, functions, T0.AddSeconds(10));
        engine.CompleteAction(2, Succeeded(T0.AddSeconds(10)), T0.AddSeconds(10));
        engine.Observe(Reading(9), T0.AddSeconds(20)); // +2 of +2 again

        Assert.Equal(1.0, Assert.Single(engine.State.EffectCorrections, c => c.Key == "boost|score").Value);
    }

    [Fact]
    public void A_function_that_overdelivers_is_corrected_upward()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(1), T0);
        Decide(engine, new FakeFunctionDirectory(Boost(effect: 2)), T0);
        engine.CompleteAction(1, Succeeded(T0), T0);

        engine.Observe(Reading(4), T0.AddSeconds(10));

        // Observed +3 against +2 declared: ratio 1.5, so 0.7 × 1 + 0.3 × 1.5.
        Assert.Equal(1.15, engine.State.EffectCorrections["boost|score"], 12);
    }

    [Fact]
    public void Repeated_outcomes_converge_on_the_observed_ratio()
    {
        var engine = Engine(ScoreGoal(target: 1000) with { Policy = new DecisionPolicyOptions { CostWeight = 0, LatencyWeight = 0 } });
        var functions = new FakeFunctionDirectory(Boost(effect: 4));
        var value = 0.0;
        var now = T0;
        engine.Observe(Reading(value), now);

        for (var i = 1; i <= 20; i++)
        {
            var (_, action) = Decide(engine, functions, now);
            engine.CompleteAction(action!.Seq, Succeeded(now), now);
            value += 1; // every call really adds a quarter of what it declares
            now = now.AddSeconds(1);
            engine.Observe(Reading(value), now);
        }

        Assert.Equal(0.25, engine.State.EffectCorrections["boost|score"], 2);
    }

    [Fact]
    public void An_action_result_realises_the_effect_on_the_metric_it_feeds()
    {
        // A user #55-like count: the results of "ping" are the metric "sent", which must reach 2.
        var definition = new GoalDefinition
        {
            Kind = "test",
            Objectives = [Objective("sent", ">=", 2)],
            Metrics = [Mapping("sent", ObservationKinds.ActionResult, "count", window: "P1D", function: "ping")],
            AllowedFunctions = ["ping"],
            Policy = new DecisionPolicyOptions { CostWeight = 0, LatencyWeight = 0 },
        };
        var engine = Engine(definition);
        var functions = new FakeFunctionDirectory(Descriptor("ping", effects: [("sent", 1)]), Descriptor("pong", effects: [("sent", 1)]));
        var (_, action) = Decide(engine, functions, T0, Event("goal.defined"));
        Assert.NotNull(action);
        Assert.Equal(1, Score(engine.Projected(T0), "sent"));

        var (_, result) = engine.CompleteAction(action.Seq, Succeeded(T0), T0)!.Value;
        var observed = engine.Observe(result, T0);

        Assert.Equal(ObserveResult.Relevant, observed);
        Assert.Equal(1, Score(engine.Current(T0), "sent"));
        Assert.Equal(1, Score(engine.Projected(T0), "sent"));
        Assert.Empty(engine.State.Actions);
        Assert.Equal(1.0, engine.State.EffectCorrections["ping|sent"], 12);

        // The result of the same action delivered again is a duplicate, not a second notification.
        Assert.Equal(ObserveResult.Duplicate, engine.Observe(result, T0));
        Assert.Equal(1, Score(engine.Current(T0), "sent"));

        // The goal is still one short, so it acts again.
        Assert.NotNull(engine.PrepareDecision(functions, T0));
    }

    [Fact]
    public void Budget_exhaustion_excludes_functions_until_the_spend_leaves_the_rolling_day()
    {
        var engine = Engine(Goal(perDay: 1.5));
        var functions = new FakeFunctionDirectory(Boost(effect: 1, cost: 1));
        engine.Observe(Reading(2), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Failed(T0), T0);

        var (refused, none) = Decide(engine, functions, T0.AddHours(1));

        Assert.Null(none);
        Assert.Null(refused.Chosen);
        Assert.StartsWith("over budget", refused.Candidates.Single().Excluded, StringComparison.Ordinal);
        Assert.Equal(1, engine.SpentLastDay(T0.AddHours(1)), 12);

        var later = T0.AddDays(1).AddHours(1);
        var (chosen, action) = Decide(engine, functions, later);

        Assert.NotNull(action);
        Assert.Equal("boost", chosen.Chosen);
        Assert.Equal(1, engine.SpentLastDay(later), 12);
        Assert.Equal(2, engine.State.SpendTotal, 12);
    }

    [Fact]
    public void Define_keeps_unchanged_metrics_and_resets_changed_ones()
    {
        var definition = Goal() with
        {
            Metrics =
            [
                Mapping("score", "reading", "last", field: "value"),
                Mapping("peak", "reading", "max", field: "value"),
                Mapping("total", "reading", "sum", field: "value"),
            ],
        };
        var engine = Engine(definition);
        engine.Observe(Reading(4), T0);
        engine.Observe(Reading(3), T0);

        engine.Define(definition with
        {
            Metrics =
            [
                Mapping("score", "reading", "last", field: "value"),
                Mapping("peak", "reading", "min", field: "value"),
                Mapping("count", "reading", "count"),
            ],
        }, T0.AddMinutes(1));

        var current = engine.Current(T0.AddMinutes(1));
        Assert.Equal(3, current["score"]);
        Assert.Null(current["peak"]);
        Assert.Equal(0, current["count"]);
        Assert.False(current.ContainsKey("total"));
        Assert.Equal(new[] { "score" }, engine.State.Metrics.Keys);
        Assert.Equal(2, engine.State.Version);
    }

    [Fact]
    public void Define_with_only_an_objective_changed_keeps_every_metric()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(4), T0);

        engine.Define(Goal() with { Objectives = [Objective("score", ">=", 3)] }, T0);

        Assert.Equal(4, Score(engine.Current(T0)));
        Assert.Null(engine.PrepareDecision(new FakeFunctionDirectory(Boost()), T0));
    }

    [Fact]
    public void Define_that_resets_a_metric_does_not_learn_from_values_taken_under_the_old_mapping()
    {
        var summed = Goal() with { Metrics = [Mapping("score", "reading", "sum", field: "value")] };
        var engine = Engine(summed);
        engine.Observe(Reading(6), T0);
        Decide(engine, new FakeFunctionDirectory(Boost(effect: 4)), T0);
        engine.CompleteAction(1, Succeeded(T0), T0);

        // The metric starts afresh as "last": the baseline of 6 (a sum) says nothing about what boost did to it.
        engine.Define(Goal(), T0.AddSeconds(1));
        engine.Observe(Reading(3), T0.AddSeconds(2));

        Assert.Equal(3, Score(engine.Current(T0.AddSeconds(2))));
        Assert.Equal(1.0, engine.State.EffectCorrections.GetValueOrDefault("boost|score", 1.0), 12);
    }

    [Fact]
    public void Spend_counts_against_the_budget_for_a_full_day()
    {
        foreach (var offset in new[] { TimeSpan.Zero, TimeSpan.FromMinutes(12), TimeSpan.FromMinutes(23.99) })
        {
            var engine = Engine(Goal(perDay: 1));
            var at = T0 + offset;
            engine.Observe(Reading(2), at);
            Decide(engine, new FakeFunctionDirectory(Boost(cost: 1)), at);

            Assert.Equal(1, engine.SpentLastDay(at.AddDays(1).AddSeconds(-1)), 12);
            Assert.Equal(0, engine.SpentLastDay(at.AddDays(1).AddHours(1)), 12);
        }
    }

    [Fact]
    public void An_equality_objective_met_within_tolerance_is_not_acted_on()
    {
        var definition = Goal() with
        {
            Objectives = [Objective("score", "==", 0.3)],
            Metrics = [Mapping("score", "reading", "sum", field: "value")],
        };
        var engine = Engine(definition);
        engine.Observe(Reading(0.1), T0);
        engine.Observe(Reading(0.2), T0);

        // 0.1 + 0.2 is 0.30000000000000004: the snapshot calls it satisfied, so Decide must not be asked to close a gap.
        Assert.True(Assert.Single(engine.Snapshot(T0).Objectives).Satisfied);
        Assert.Null(engine.PrepareDecision(new FakeFunctionDirectory(Boost()), T0));
    }

    [Fact]
    public void Pending_effects_expire_after_the_default_horizon_and_Trim_drops_them()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(effect: 4));
        engine.Observe(Reading(7), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Succeeded(T0), T0);

        engine.Trim(T0.AddMinutes(5));
        Assert.Single(engine.State.Actions);
        Assert.Equal(11, Score(engine.Projected(T0.AddMinutes(5))));

        // Ten minutes on, the effect that never showed up no longer holds the goal back.
        var later = T0.AddMinutes(11);
        Assert.Equal(7, Score(engine.Projected(later)));
        Assert.NotNull(engine.PrepareDecision(functions, later));

        engine.Trim(later);
        Assert.Empty(engine.State.Actions);
    }

    [Fact]
    public void Effect_horizon_from_the_definition_overrides_the_default()
    {
        var engine = Engine(Goal() with { EffectHorizon = "PT1M" });
        engine.Observe(Reading(7), T0);
        Decide(engine, new FakeFunctionDirectory(Boost(effect: 4)), T0);
        engine.CompleteAction(1, Succeeded(T0), T0);

        Assert.Equal(11, Score(engine.Projected(T0.AddSeconds(50))));
        Assert.Equal(7, Score(engine.Projected(T0.AddMinutes(2))));

        engine.Trim(T0.AddMinutes(2));
        Assert.Empty(engine.State.Actions);
    }

    [Fact]
    public void Trim_keeps_in_flight_actions_however_old()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(7), T0);
        Decide(engine, new FakeFunctionDirectory(Boost(effect: 4)), T0);

        engine.Trim(T0.AddDays(2));

        Assert.Equal(1, engine.InFlightCount);
        Assert.Equal(11, Score(engine.Projected(T0.AddDays(2))));
    }

    [Fact]
    public void Trim_forgets_spend_older_than_a_day()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(7), T0);
        Decide(engine, new FakeFunctionDirectory(Boost(cost: 0.5)), T0);

        engine.Trim(T0.AddDays(2));

        Assert.Empty(engine.State.Spend.Buckets!);
        Assert.Equal(0, engine.SpentLastDay(T0.AddDays(2)));
        Assert.Equal(0.5, engine.State.SpendTotal, 12);
    }

    [Fact]
    public void Trim_drops_window_buckets_that_aged_out()
    {
        var engine = Engine(Goal() with { Metrics = [Mapping("score", "reading", "sum", field: "value", window: "PT1M")] });
        engine.Observe(Reading(1), T0);
        engine.Observe(Reading(2), T0.AddSeconds(30));

        engine.Trim(T0.AddSeconds(75));

        Assert.Single(engine.State.Metrics["score"].Buckets!);
        Assert.Equal(2, Score(engine.Current(T0.AddSeconds(75))));
    }

    [Fact]
    public void NextTimeChange_is_null_when_nothing_waits_on_the_clock()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);

        Assert.Null(engine.NextTimeChange(T0));
    }

    [Fact]
    public void NextTimeChange_is_when_a_pending_effect_stops_holding_the_goal_back()
    {
        var engine = Engine(Goal());
        var functions = new FakeFunctionDirectory(Boost(effect: 4));
        engine.Observe(Reading(7), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Succeeded(T0), T0);

        var next = engine.NextTimeChange(T0.AddSeconds(1));

        Assert.NotNull(next);
        Assert.InRange(next.Value, T0.AddMinutes(9), T0.AddMinutes(10));
        Assert.Null(engine.PrepareDecision(functions, next.Value.AddMilliseconds(-1)));
        Assert.NotNull(engine.PrepareDecision(functions, next.Value.AddMilliseconds(1)));
    }

    [Fact]
    public void NextTimeChange_is_when_spend_leaves_the_rolling_day_of_a_budgeted_goal()
    {
        var engine = Engine(Goal(perDay: 1));
        engine.Observe(Reading(5), T0);
        Decide(engine, new FakeFunctionDirectory(Boost(cost: 1)), T0);

        var next = engine.NextTimeChange(T0.AddHours(1));

        Assert.NotNull(next);
        Assert.InRange(next.Value, T0.AddDays(1), T0.AddDays(1).AddHours(1));
        Assert.Equal(1, engine.SpentLastDay(next.Value.AddMilliseconds(-1)), 12);
        Assert.Equal(0, engine.SpentLastDay(next.Value.AddMilliseconds(1)), 12);
    }

    [Fact]
    public void NextTimeChange_is_when_a_windowed_metric_next_rolls()
    {
        var engine = Engine(Goal() with { Metrics = [Mapping("score", "reading", "sum", field: "value", window: "PT1M")] });
        engine.Observe(Reading(4), T0);

        var next = engine.NextTimeChange(T0.AddSeconds(1));

        Assert.NotNull(next);
        Assert.Equal(4, Score(engine.Current(next.Value.AddMilliseconds(-1))));
        Assert.Equal(0, Score(engine.Current(next.Value.AddMilliseconds(1))));
    }

    [Fact]
    public void NextTimeChange_is_null_for_a_deleted_goal()
    {
        var engine = Engine(Goal() with { Metrics = [Mapping("score", "reading", "sum", field: "value", window: "PT1M")] });
        engine.Observe(Reading(4), T0);

        engine.Delete(T0);

        Assert.Null(engine.NextTimeChange(T0));
    }

    [Fact]
    public void Decision_history_keeps_the_newest_decisions_only()
    {
        var engine = Engine(Goal(), new GoalEngineOptions { DecisionHistory = 3 });
        var functions = new FakeFunctionDirectory(Boost());
        engine.Observe(Reading(5), T0);
        var context = engine.PrepareDecision(functions, T0)!;
        for (var i = 0; i < 5; i++)
        {
            engine.CommitDecision(context, new DecisionProposal([], null, null, "no action", []), "test", Reading(5), functions, T0);
        }

        Assert.Equal(5, engine.State.DecisionsMade);
        Assert.Equal(new long[] { 5, 4, 3 }, engine.Decisions([], 10).Select(d => d.Seq));
        Assert.Equal(new long[] { 5, 4 }, engine.Decisions([], 2).Select(d => d.Seq));
    }

    /// <summary>A goal that has decided once (to call <c>boost</c>), the decision still waiting in its state.</summary>
    private static GoalEngine EngineWithOneDecision()
    {
        var engine = Engine(Goal());
        engine.Observe(Reading(5), T0);
        Decide(engine, new FakeFunctionDirectory(Boost()), T0);
        return engine;
    }

    /// <summary>A goal that has decided once and recorded the call's outcome, the decision still waiting in its state.</summary>
    private static GoalEngine EngineWithOneSettledDecision()
    {
        var engine = EngineWithOneDecision();
        engine.CompleteAction(1, Succeeded(T0), T0);
        return engine;
    }

    /// <summary>Moves the decisions waiting in the state to <paramref name="history"/>, as the grain's archive does with the stored one.</summary>
    private static void Archive(GoalEngine engine, List<DecisionRecord> history) =>
        Archive(engine, history, engine.ArchiveDecisions(engine.State.Decisions.ToArray()));

    /// <summary>
    /// Moves every decision waiting in the state to <paramref name="history"/>, those with calls in flight too: what a
    /// history took before decisions moved there only once settled, which a goal may still hold.
    /// </summary>
    private static void ArchiveInFlight(GoalEngine engine, List<DecisionRecord> history) =>
        Archive(engine, history, new ArchiveBatch([.. engine.State.Decisions], engine.State.Decisions.Parked.Count));

    private static void Archive(GoalEngine engine, List<DecisionRecord> history, ArchiveBatch batch)
    {
        DecisionMerge.Into(history, batch.Records, 50);
        engine.DecisionsArchived(batch);
    }

    [Fact]
    public void A_decision_whose_call_is_in_flight_stays_in_the_state_until_its_outcome_is_recorded()
    {
        var engine = EngineWithOneDecision();

        Assert.True(engine.ArchiveDecisions(engine.State.Decisions.ToArray()).IsEmpty);

        engine.CompleteAction(1, Succeeded(T0), T0);
        var batch = engine.ArchiveDecisions(engine.State.Decisions.ToArray());
        Assert.Equal(OutcomeStatus.Succeeded, Assert.Single(batch.Records).Outcome?.Status);
    }

    [Fact]
    public void Archived_decisions_leave_the_state_and_stay_visible_through_the_history()
    {
        var engine = EngineWithOneSettledDecision();
        List<DecisionRecord> history = [];

        Archive(engine, history);

        Assert.Empty(engine.State.Decisions);
        Assert.Equal(0, engine.State.Decisions.Capacity); // nor an empty array held for the next decision
        Assert.Equal(1, Assert.Single(history).Seq);
        Assert.Equal(1, Assert.Single(engine.Decisions(history, 10)).Seq);
    }

    [Fact]
    public void The_snapshot_wants_the_newest_decision_read_back_once_it_was_archived()
    {
        var engine = EngineWithOneSettledDecision();
        Assert.False(engine.NeedsArchivedNewest);
        List<DecisionRecord> history = [];

        Archive(engine, history);

        Assert.True(engine.NeedsArchivedNewest);
        Assert.Null(engine.Snapshot(T0).LastDecision);
        engine.KnowArchived(history.LastOrDefault());
        Assert.False(engine.NeedsArchivedNewest);
        Assert.Same(history[0], engine.Snapshot(T0).LastDecision);
    }

    [Fact]
    public void A_newer_decision_replaces_the_newest_archived_one_in_the_snapshot()
    {
        var engine = Engine(Goal(maxInFlight: 2));
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Succeeded(T0), T0);
        List<DecisionRecord> history = [];
        Archive(engine, history);
        engine.KnowArchived(history.LastOrDefault());

        Decide(engine, functions, T0);

        Assert.False(engine.NeedsArchivedNewest);
        Assert.Equal(2, engine.Snapshot(T0).LastDecision?.Seq);
    }

    [Fact]
    public void An_outcome_of_an_archived_decision_waits_in_the_state_until_the_history_has_it()
    {
        var engine = EngineWithOneDecision();
        List<DecisionRecord> history = [];
        ArchiveInFlight(engine, history);
        Assert.True(engine.NeedsArchivedDecision(1));

        engine.CompleteAction(1, Succeeded(T0), T0, archived: history[0]);

        var completed = Assert.Single(engine.State.Decisions);
        Assert.Equal(OutcomeStatus.Succeeded, completed.Outcome?.Status);
        Assert.Equal(history[0].Candidates, completed.Candidates); // the full record, not a bare one
        Assert.Null(Assert.Single(history).Outcome);
        Assert.Equal(OutcomeStatus.Succeeded, Assert.Single(engine.Decisions(history, 10)).Outcome?.Status);
        Assert.False(engine.NeedsArchivedDecision(1));
    }

    [Fact]
    public void An_outcome_of_an_archived_decision_is_merged_into_the_archived_record()
    {
        var engine = EngineWithOneDecision();
        List<DecisionRecord> history = [];
        ArchiveInFlight(engine, history);
        var archived = history[0];

        // The history could not be read back: the outcome rides on a bare record of the same seq.
        engine.CompleteAction(1, Succeeded(T0), T0);
        Archive(engine, history);

        var merged = Assert.Single(history);
        Assert.Equal(OutcomeStatus.Succeeded, merged.Outcome?.Status);
        Assert.Equal((archived.Candidates, archived.Reason, archived.Trigger, archived.Time), (merged.Candidates, merged.Reason, merged.Trigger, merged.Time));
        Assert.NotEmpty(merged.Candidates);
        Assert.Empty(engine.State.Decisions);
    }

    [Fact]
    public void An_outcome_of_the_newest_archived_decision_shows_in_the_snapshot()
    {
        var engine = EngineWithOneDecision();
        List<DecisionRecord> history = [];
        ArchiveInFlight(engine, history);
        engine.KnowArchived(history.LastOrDefault());

        engine.CompleteAction(1, Succeeded(T0), T0);
        Archive(engine, history);

        // The held copy (without the outcome) went when the outcome came; the snapshot reads the history again.
        Assert.True(engine.NeedsArchivedNewest);
        engine.KnowArchived(history.LastOrDefault());
        Assert.Equal(OutcomeStatus.Succeeded, engine.Snapshot(T0).LastDecision?.Outcome?.Status);
    }

    [Fact]
    public void A_decision_changed_while_its_history_write_ran_stays_in_the_state()
    {
        // Taken with its call in flight, as a history did before decisions moved there only once settled.
        var engine = EngineWithOneDecision();
        var batch = new ArchiveBatch([.. engine.State.Decisions], 0);

        engine.CompleteAction(1, Succeeded(T0), T0);
        engine.DecisionsArchived(batch);

        Assert.Equal(OutcomeStatus.Succeeded, Assert.Single(engine.State.Decisions).Outcome?.Status);
    }

    [Fact]
    public void Only_decisions_a_state_write_covered_move_to_the_history()
    {
        var engine = Engine(Goal(maxInFlight: 2));
        var functions = new FakeFunctionDirectory(Boost(effect: 1));
        engine.Observe(Reading(5), T0);
        Decide(engine, functions, T0);
        engine.CompleteAction(1, Succeeded(T0), T0);
        var written = engine.State.Decisions.ToArray();
        Decide(engine, functions, T0);
        engine.CompleteAction(2, Succeeded(T0), T0);

        var batch = engine.ArchiveDecisions(written);

        Assert.Equal(1, Assert.Single(batch.Records).Seq);
        Assert.Equal(0, batch.Parked);
    }

    [Fact]
    public void A_stale_copy_without_its_outcome_does_not_replace_the_recorded_outcome()
    {
        var decided = new DecisionRecord { Seq = 1, GoalId = GoalId };
        var completed = decided with { Outcome = Succeeded(T0) };
        List<DecisionRecord> history = [completed];

        DecisionMerge.Into(history, [decided], keep: 50);

        Assert.Same(completed, Assert.Single(history));
    }

    [Fact]
    public void InFlightRequests_reissues_interrupted_calls_with_their_original_keys()
    {
        var state = new GoalState();
        var engine = Engine(Goal(), state: state);
        engine.Observe(Reading(5), T0);
        var (_, original) = Decide(engine, new FakeFunctionDirectory(Boost()), T0);

        var reactivated = new GoalEngine(GoalId, state, new GoalEngineOptions());
        var request = Assert.Single(reactivated.InFlightRequests());

        Assert.Equal(original!.Call.IdempotencyKey, request.Call.IdempotencyKey);
        Assert.Equal(original.Seq, request.Seq);
        Assert.Equal(original.Timeout, request.Timeout);
        Assert.Equal(original.Call.Arguments.GetRawText(), request.Call.Arguments.GetRawText());
    }

    [Fact]
    public void Snapshot_shows_objectives_in_flight_actions_and_spend()
    {
        var engine = Engine(Goal(perDay: 5));
        engine.Observe(Reading(7), T0);
        Decide(engine, new FakeFunctionDirectory(Boost(effect: 4, cost: 0.5)), T0);

        var snapshot = engine.Snapshot(T0);

        Assert.Equal(GoalId, snapshot.GoalId);
        Assert.Equal(7, snapshot.Metrics["score"]);
        var objective = Assert.Single(snapshot.Objectives);
        Assert.Equal(7, objective.Value);
        Assert.Equal(11, objective.Projected);
        Assert.Equal(0.3, objective.Gap, 12);
        Assert.False(objective.Satisfied);
        var inFlight = Assert.Single(snapshot.InFlight);
        Assert.Equal("g1/1", inFlight.IdempotencyKey);
        Assert.Equal(0.5, snapshot.Spend.LastDay, 12);
        Assert.Equal(5, snapshot.Spend.PerDay);
        Assert.Equal(1, snapshot.DecisionsMade);
        Assert.Equal(1, snapshot.LastDecision?.Seq);
    }
}
