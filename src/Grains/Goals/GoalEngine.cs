using System.Buffers;
using System.Text.Json;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Metrics;
using Mdl.Objectives;
using Mdl.Observations;

namespace Mdl.Goals;

/// <summary>
/// The decision loop's logic over a goal's state, with no Orleans in it: the goal grain is a durable, reentrant shell
/// around this class. Every method runs to completion without awaiting, so state only changes between the grain's awaits.
/// </summary>
public sealed class GoalEngine
{
    private const string SpendWindow = "P1D";
    private static readonly MetricMapping SpendMapping = new() { Name = "spend", From = "spend", Field = "cost", Aggregate = Aggregates.Sum, Window = SpendWindow };

    // What a function with no learnt corrections for a goal's metrics gets: one shared empty map, not one per decision.
    private static readonly IReadOnlyDictionary<string, double> NoCorrections = new Dictionary<string, double>();

    private readonly GoalEngineOptions _options;
    private readonly FingerprintSet _recentIds;

    // Working lists of Observe (the metrics an observation touched) and RealizeEffects (the actions whose effect it
    // shows), one per thread rather than per goal: both run for every observation, synchronously and without re-entering,
    // and a goal that holds none keeps its memory small.
    [ThreadStatic]
    private static List<string>? t_touched;

    [ThreadStatic]
    private static List<PendingAction>? t_realized;

    // The newest decision, once it has left the state for the history and a snapshot needed it (read back from the
    // history by the grain). Most goals are never asked, so none is held until one is.
    private DecisionRecord? _newestArchived;

    // Outcomes fed back whose data is not written yet (CompleteAction), until the goal has decided on them (Settled):
    // usually none, one while an outcome is being acted on.
    private List<UnbuiltResult>? _unbuiltResults;

    // What the engine derives from its definition on every loop, kept with the definition it was derived from.
    private (GoalDefinition? Of, TimeSpan Value) _horizon;
    private (GoalDefinition? Of, IFunctionDirectory? Functions, string[] Value) _grants = (null, null, []);

    /// <summary>Wraps <paramref name="state"/> (as loaded from storage) for goal <paramref name="goalId"/>.</summary>
    public GoalEngine(string goalId, GoalState state, GoalEngineOptions options)
    {
        GoalId = goalId;
        State = state;
        _options = options;
        _recentIds = FingerprintSet.Of(state.RecentObservations);
        if (state.Definition is { } definition)
        {
            // As loaded, each goal has its own copy: share what it has in common with other goals' definitions.
            state.Definition = SharedDefinitions.Intern(definition);
        }
    }

    /// <summary>The goal's id.</summary>
    public string GoalId { get; }

    /// <summary>The state this engine mutates.</summary>
    public GoalState State { get; }

    /// <summary>Whether the goal has ever been defined.</summary>
    public bool IsDefined => State.Definition is not null;

    /// <summary>Whether the goal is defined and not deleted: it observes (and acts, unless paused).</summary>
    public bool IsActive => IsDefined && State.Status != GoalStatus.Deleted;

    /// <summary>Whether the goal observes but may not act.</summary>
    public bool IsPaused => State.Status == GoalStatus.Paused;

    /// <summary>How many actions are waiting for their outcome.</summary>
    public int InFlightCount
    {
        get
        {
            var count = 0;
            foreach (var action in State.Actions)
            {
                count += action.InFlight ? 1 : 0;
            }

            return count;
        }
    }

    /// <summary>Puts a (validated) definition in force. Metrics whose mapping changed start afresh; the rest keep their values.</summary>
    public void Define(GoalDefinition definition, DateTimeOffset now)
    {
        var previous = State.Definition?.Metrics.ToDictionary(m => m.Name) ?? [];
        foreach (var name in State.Metrics.Keys.ToList())
        {
            var mapping = definition.Metrics.FirstOrDefault(m => m.Name == name);
            if (mapping is null || !previous.TryGetValue(name, out var old) || old != mapping)
            {
                State.Metrics.Remove(name);

                // Values taken under the old mapping are no baseline for the new one: nothing is learnt from them.
                foreach (var action in State.Actions)
                {
                    action.Baselines.Remove(name);
                }
            }
        }

        State.Definition = SharedDefinitions.Intern(definition);

        // A new definition brings a deleted goal back, but does not lift a pause: that takes an explicit resume.
        if (State.Status == GoalStatus.Deleted)
        {
            State.Status = GoalStatus.Active;
        }

        State.Version++;
        State.UpdatedAt = now;
    }

    /// <summary>Pauses (true) or resumes (false) acting; observing goes on either way.</summary>
    public void SetPaused(bool paused, DateTimeOffset now)
    {
        State.Status = paused ? GoalStatus.Paused : GoalStatus.Active;
        State.UpdatedAt = now;
    }

    /// <summary>Stops the goal: it keeps its history but observes and acts no more.</summary>
    public void Delete(DateTimeOffset now)
    {
        State.Status = GoalStatus.Deleted;
        State.UpdatedAt = now;
    }

    /// <summary>
    /// Observe and Orient: dedupe, then apply the metric mappings. Returns what became of the observation. An outcome the
    /// goal feeds back itself (<see cref="CompleteAction"/>) is made once per action, so it skips the dedupe window
    /// (<paramref name="deduplicate"/> false) rather than push out the ids of observations that can arrive twice.
    /// </summary>
    public ObserveResult Observe(Observation observation, DateTimeOffset now, bool deduplicate = true)
    {
        var fingerprint = ObservationFingerprint.Of(observation.Id);
        if (deduplicate && _recentIds.Contains(fingerprint))
        {
            State.DuplicatesIgnored++;
            return ObserveResult.Duplicate;
        }

        var definition = State.Definition!;
        var touched = t_touched ??= [];
        touched.Clear();
        foreach (var mapping in definition.Metrics)
        {
            if (MetricAggregation.Matches(mapping, observation) && MetricAggregation.TryGetSample(mapping, observation, out var sample))
            {
                var metric = State.Metrics.TryGetValue(mapping.Name, out var existing) ? existing : State.Metrics[mapping.Name] = new MetricState();
                MetricAggregation.Add(mapping, metric, sample, now);
                touched.Add(mapping.Name);
            }
        }

        State.ObservationsProcessed++;
        if (deduplicate)
        {
            Remember(fingerprint);
        }

        if (touched.Count == 0)
        {
            // Nothing derives from it, so replaying it would change nothing that matters: it needs no write of its
            // own (its id and count are saved with the next write).
            return ObserveResult.Irrelevant;
        }

        RealizeEffects(touched, now);
        State.UpdatedAt = now;
        return ObserveResult.Relevant;
    }

    /// <summary>
    /// Orient's last step: if a projected objective is violated and a slot is free, the context Decide needs; else null.
    /// </summary>
    public DecisionContext? PrepareDecision(IFunctionDirectory functions, DateTimeOffset now)
    {
        if (!IsActive || IsPaused)
        {
            return null;
        }

        var definition = State.Definition!;
        if (InFlightCount >= definition.MaxInFlight)
        {
            // The in-flight action's outcome will trigger the next Decide; no need to record a refusal per observation.
            return null;
        }

        // Most observations find every objective met: check that one metric at a time, and build the projection (two
        // dictionaries) only when a gap is open.
        if (!AnyProjectedGap(definition, now))
        {
            return null;
        }

        var projected = Projected(now);

        // Plain loops: this runs for every observation that finds an objective violated.
        var allowed = definition.AllowedFunctions;
        var candidates = new CandidateFunction[allowed.Length];
        for (var i = 0; i < allowed.Length; i++)
        {
            var name = allowed[i];
            var health = functions.Health(name);
            candidates[i] = new CandidateFunction(name, functions.Find(name), health.P95Ms, health.CircuitOpen, CorrectionsFor(name, definition));
        }

        return new DecisionContext(GoalId, definition, projected, candidates, SpentLastDay(now));
    }

    /// <summary>
    /// Records a policy's proposal as the next decision. When it chose a function that is still callable (the goal may
    /// have changed while an asynchronous policy thought), reserves the cost, marks the action in flight and returns the call to make.
    /// </summary>
    public (DecisionRecord Decision, ActionRequest? Action) CommitDecision(
        DecisionContext context, DecisionProposal proposal, string policy, Observation trigger, IFunctionDirectory functions, DateTimeOffset now)
    {
        var seq = ++State.DecisionsMade;
        var reason = proposal.Reason;
        ActionRequest? action = null;
        PendingAction? pending = null;
        var definition = State.Definition!;
        var descriptor = proposal.Chosen is null ? null : functions.Find(proposal.Chosen);
        if (proposal.Chosen is not null && (descriptor is null || !definition.AllowedFunctions.Contains(proposal.Chosen)))
        {
            reason = $"no action: policy chose '{proposal.Chosen}', which the goal may not call";
        }
        else if (descriptor is not null && (!IsActive || IsPaused || InFlightCount >= definition.MaxInFlight))
        {
            var why = !IsActive ? "goal deleted" : IsPaused ? "goal paused" : "max in flight reached";
            reason = $"no action: {why} while deciding";
        }
        else if (descriptor is not null && definition.Budget?.PerDay is { } cap && SpentLastDay(now) + descriptor.Cost > cap + 1e-12)
        {
            reason = "no action: budget spent while deciding";
        }
        else if (descriptor is not null)
        {
            pending = new PendingAction
            {
                Seq = seq,
                Function = descriptor.Name,
                IdempotencyKey = $"{GoalId}/{seq}",
                StartedAt = now,
                Arguments = BuildArguments(seq, context, trigger),
                TimeoutMs = Math.Min(descriptor.TimeoutMs, definition.DeadlineMs ?? int.MaxValue),
                Grants = GrantsFor(definition, functions),
            };
            foreach (var (metric, declared) in descriptor.Effects)
            {
                pending.ExpectedEffects[metric] = declared * CorrectionOf(descriptor.Name, metric);
                if (CurrentValue(metric, now) is { } baseline)
                {
                    pending.Baselines[metric] = baseline;
                }
            }

            State.Actions.Add(pending);
            MetricAggregation.Add(SpendMapping, State.Spend, descriptor.Cost, now);
            State.SpendTotal += descriptor.Cost;
            State.ActionsTaken++;
            action = ToRequest(pending);
        }

        var record = new DecisionRecord
        {
            Seq = seq,
            GoalId = GoalId,
            Time = now,
            Trigger = new DecisionTrigger { ObservationId = trigger.Id, Kind = trigger.Kind },
            Gaps = proposal.Gaps,
            Candidates = proposal.Candidates,
            Policy = policy,
            Reason = reason,
            Chosen = pending?.Function,
            Utility = pending is null ? null : proposal.Utility,
            Arguments = pending?.Arguments,
            IdempotencyKey = pending?.IdempotencyKey,
        };

        AppendDecision(record);
        State.UpdatedAt = now;
        return (record, action);
    }

    /// <summary>
    /// Act's feedback: records the outcome on its decision and returns the <c>action.result</c> observation to feed back,
    /// or null when the action is unknown or already completed (a late or repeated outcome changes nothing).
    /// </summary>
    /// <param name="seq">The decision's sequence number.</param>
    /// <param name="outcome">What the call did.</param>
    /// <param name="now">The time.</param>
    /// <param name="archived">
    /// The decision as the history holds it, when it has left the state already (<see cref="NeedsArchivedDecision"/>), so
    /// the completed record keeps its candidates and gaps.
    /// </param>
    public (DecisionRecord Decision, Observation Result)? CompleteAction(
        long seq, ActionOutcome outcome, DateTimeOffset now, DecisionRecord? archived = null)
    {
        var pending = FindAction(seq);
        if (pending is null || !pending.InFlight)
        {
            return null;
        }

        pending.CompletedAt = now;

        // What only a re-issue needs goes: the outcome is on the decision now, and a completed action is never called again.
        pending.Result = null;
        pending.Arguments = default;
        pending.Grants = [];
        if (outcome.Status != OutcomeStatus.Succeeded)
        {
            // A failed call did nothing: learn that its effect was zero, so a function that keeps failing loses
            // utility call by call instead of being retried forever, and no effect is on its way.
            foreach (var metric in pending.ExpectedEffects.Keys)
            {
                Learn(pending.Function, metric, ratio: 0, _options.FailureLearningRate);
            }

            State.Actions.Remove(pending);
        }
        else if (pending.ExpectedEffects.Count == 0)
        {
            State.Actions.Remove(pending);
        }

        // The decision is either still waiting for the history or already in it; either way the completed record goes
        // into the state, so the outcome is saved with the goal's next write.
        // Without the record (its history could not be read) the outcome still rides on a bare record of the same seq;
        // archiving merges the outcome into the full record the history holds (DecisionMerge.Merge).
        DecisionRecord decision;
        var held = DecisionMerge.FindIndex(State.Decisions, seq);
        if (held >= 0)
        {
            // The usual case, the decision still waiting in the state: the record with the outcome takes its place. Merging
            // it in would make a second copy of it (DecisionMerge.Merge puts an incoming outcome on the record held).
            decision = State.Decisions[held] with { Outcome = outcome };
            State.Decisions[held] = decision;
        }
        else
        {
            decision = (FindDecision(seq) ?? (archived?.Seq == seq ? archived : null)) is { } found
                ? found with { Outcome = outcome }
                : new DecisionRecord { Seq = seq, GoalId = GoalId, Chosen = pending.Function, Outcome = outcome };
            DecisionMerge.Into(State.Decisions, [decision], int.MaxValue);
        }

        if (_newestArchived?.Seq == seq)
        {
            _newestArchived = null; // the state holds the newer copy now
        }

        var result = new Observation
        {
            Id = $"{pending.IdempotencyKey}/result",
            Kind = ObservationKinds.ActionResult,
            Source = "mdl",
            Time = now,
        };

        // Its data is written as JSON only when something reads it: a metric mapped from action results, or a decision
        // it triggers (whose call carries it). Most outcomes feed neither, and the document was a loop's largest.
        if (MapsActionResults())
        {
            result = result with { Data = ResultData(pending.Function, seq, outcome) };
        }
        else if (IsActive)
        {
            // Until the goal has observed and decided on it (Settled); a deleted goal does neither.
            (_unbuiltResults ??= []).Add(new UnbuiltResult(result, pending.Function, seq, outcome));
        }

        State.UpdatedAt = now;
        return (decision, result);
    }

    private PendingAction? FindAction(long seq)
    {
        foreach (var action in State.Actions)
        {
            if (action.Seq == seq)
            {
                return action;
            }
        }

        return null;
    }

    /// <summary>
    /// Forgets what the data of <paramref name="result"/> (an <c>action.result</c> observation from <see cref="CompleteAction"/>)
    /// would have been built from: the goal has observed it and decided on it.
    /// </summary>
    public void Settled(Observation result)
    {
        if (_unbuiltResults is not { } unbuilt)
        {
            return;
        }

        for (var i = unbuilt.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(unbuilt[i].Result, result))
            {
                unbuilt.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// The calls to re-issue (same idempotency keys) for actions that were in flight when the goal last stopped; each
    /// carries the result recorded for it, if any, which answers it without calling the function again.
    /// </summary>
    public IReadOnlyList<ActionRequest> InFlightRequests() =>
        State.Actions.Where(a => a.InFlight).Select(a => ToRequest(a, reissued: true)).ToArray();

    /// <summary>
    /// Sets <see cref="GoalState.WakeAt"/> to the next time change after <paramref name="now"/>, and
    /// <see cref="GoalState.DueAt"/> from it (<see cref="RestoreDue"/>), for the write about to be made.
    /// </summary>
    public void StampDue(DateTimeOffset now, TimeSpan grace)
    {
        State.WakeAt = NextTimeChange(now);
        RestoreDue(grace);
    }

    /// <summary>
    /// Sets <see cref="GoalState.DueAt"/> as the last write stored it (<see cref="DueOf"/> of <see cref="GoalState.WakeAt"/>).
    /// </summary>
    public void RestoreDue(TimeSpan grace) => State.DueAt = DueOf(State.WakeAt, grace);

    /// <summary>The due moment a write made at <paramref name="now"/> would store.</summary>
    public DateTimeOffset? DueFrom(DateTimeOffset now, TimeSpan grace) => DueOf(NextTimeChange(now), grace);

    /// <summary>
    /// <paramref name="grace"/> after the wake-up moment <paramref name="wake"/> (a live goal takes its wake-up on time
    /// and writes the next one, usually well within the grace), or when the calls in flight are overdue
    /// (<see cref="InFlightDueAt"/>), whichever is first.
    /// </summary>
    private DateTimeOffset? DueOf(DateTimeOffset? wake, TimeSpan grace)
    {
        var woken = IsActive ? wake + grace : null;
        var overdue = InFlightDueAt(grace);
        return woken is { } at && (overdue is not { } calls || at < calls) ? woken : overdue;
    }

    /// <summary>
    /// The moment by which the goal must be active again for its calls in flight to be answered: the earliest call's
    /// start, plus its timeout, plus <paramref name="grace"/>. Null when nothing is in flight, or the goal is deleted (a
    /// deleted goal re-issues nothing).
    /// </summary>
    public DateTimeOffset? InFlightDueAt(TimeSpan grace)
    {
        if (!IsActive)
        {
            return null;
        }

        DateTimeOffset? due = null;
        foreach (var action in State.Actions)
        {
            if (action.InFlight)
            {
                var at = action.StartedAt + TimeSpan.FromMilliseconds(action.TimeoutMs) + grace;
                if (due is not { } earlier || at < earlier)
                {
                    due = at;
                }
            }
        }

        return due;
    }

    /// <summary>
    /// Records the result of the in-flight call with <paramref name="idempotencyKey"/> (the goal's ledger of external calls),
    /// to be written before the function's worker answers. Returns false when no such call is in flight or its result is
    /// already recorded: the first result stands.
    /// </summary>
    public bool RecordResult(string idempotencyKey, FunctionResult result, DateTimeOffset now)
    {
        var pending = State.Actions.FirstOrDefault(a => a.InFlight && a.IdempotencyKey == idempotencyKey);
        if (pending is null || pending.Result is not null)
        {
            return false;
        }

        pending.Result = result;
        State.UpdatedAt = now;
        return true;
    }

    /// <summary>
    /// Whether the in-flight action of decision <paramref name="seq"/> completes a decision that has left the state for
    /// the history: <see cref="CompleteAction"/> then wants it read back, to record the outcome on the full record.
    /// </summary>
    public bool NeedsArchivedDecision(long seq) =>
        FindDecision(seq) is null && FindAction(seq) is { InFlight: true }; // the cheap check first: runs per outcome

    /// <summary>
    /// Up to <paramref name="limit"/> decisions (at most <see cref="GoalEngineOptions.DecisionHistory"/>), newest first:
    /// <paramref name="archived"/>, the history as read from storage, merged with those still waiting in the state.
    /// </summary>
    public DecisionRecord[] Decisions(IEnumerable<DecisionRecord> archived, int limit)
    {
        var merged = new List<DecisionRecord>(archived);
        DecisionMerge.Into(merged, State.Decisions.All(), _options.DecisionHistory);
        return Enumerable.Reverse(merged).Take(Math.Max(0, limit)).ToArray();
    }

    /// <summary>
    /// Whether the newest decision is neither in the state nor held: the snapshot wants the history read
    /// (<see cref="KnowArchived"/>) first.
    /// </summary>
    public bool NeedsArchivedNewest =>
        State.DecisionsMade > 0
        && State.Decisions.NewestSeq < State.DecisionsMade
        && _newestArchived?.Seq != State.DecisionsMade;

    /// <summary>Keeps <paramref name="newest"/>, the newest decision of the history as read from storage, for the snapshot.</summary>
    public void KnowArchived(DecisionRecord? newest)
    {
        if (newest is not null && newest.Seq > (_newestArchived?.Seq ?? 0))
        {
            _newestArchived = newest;
        }
    }

    /// <summary>The newest decision, or null before the first (or when it was archived and not read back yet).</summary>
    public DecisionRecord? LastDecision()
    {
        var waiting = State.Decisions.Newest();
        var archived = _newestArchived;
        if (waiting is null || archived is null)
        {
            return waiting ?? archived;
        }

        return archived.Seq > waiting.Seq || (archived.Seq == waiting.Seq && !DecisionMerge.Supersedes(waiting, archived)) ? archived : waiting;
    }

    /// <summary>
    /// The decisions in the state that <paramref name="written"/> — decisions the state has durably written — covers, and
    /// every decision parked (durable too, by <see cref="DecisionLog.Park"/>'s rule): the next batch for the history.
    /// Once the history's write completes, <see cref="DecisionsArchived"/> drops them from the state; until then they stay
    /// there, so a decision is always in at least one durable place.
    /// </summary>
    /// <remarks>
    /// A decision whose call is still in flight stays in the state until its outcome is written: the history takes each
    /// decision once, settled, so its pages are never rewritten for an outcome, and an outcome never has to be looked for
    /// there (<see cref="NeedsArchivedDecision"/> is left for decisions a history took in flight before this rule).
    /// </remarks>
    public ArchiveBatch ArchiveDecisions(IReadOnlyList<DecisionRecord> written) =>
        new([.. State.Decisions.Where(d => DecisionMerge.HoldsSame(written, d) && FindAction(d.Seq) is not { InFlight: true })], State.Decisions.Parked.Count);

    /// <summary>Drops from the state the decisions a completed history write covered (unless they changed since).</summary>
    public void DecisionsArchived(ArchiveBatch batch)
    {
        // Records are immutable: a decision that gained its outcome meanwhile is a new record and stays. Parked decisions
        // are settled and never change; those the batch took are the oldest parked, as it took every one parked then.
        State.Decisions.Unpark(batch.Parked);
        State.Decisions.RemoveAll(d => DecisionMerge.HoldsSame(batch.Records, d));
        if (State.Decisions.Count == 0)
        {
            // A quiet goal's log is empty until its next decision: hold no array for it meanwhile.
            State.Decisions.Capacity = 0;
        }
    }

    /// <summary>Drops what has aged out (window buckets, expired pending effects); call before persisting.</summary>
    public void Trim(DateTimeOffset now)
    {
        if (State.Definition is { } definition)
        {
            foreach (var mapping in definition.Metrics)
            {
                if (State.Metrics.TryGetValue(mapping.Name, out var metric))
                {
                    MetricAggregation.Trim(mapping, metric, now);
                }
            }
        }

        MetricAggregation.Trim(SpendMapping, State.Spend, now);

        // Runs before every write: a loop rather than a predicate capturing the moment and the horizon.
        var horizon = EffectHorizon();
        var actions = State.Actions;
        for (var i = actions.Count - 1; i >= 0; i--)
        {
            var a = actions[i];
            if (!a.InFlight && (a.ExpectedEffects.Count == 0 || now - a.CompletedAt!.Value >= horizon))
            {
                actions.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// The next moment the goal's view changes by time alone — a windowed metric or the spend window rolls, or a pending
    /// effect passes its horizon unobserved — or null when nothing is waiting on the clock.
    /// </summary>
    public DateTimeOffset? NextTimeChange(DateTimeOffset now)
    {
        if (!IsActive)
        {
            return null;
        }

        // Runs after every write, so plain loops rather than a query.
        var definition = State.Definition!;
        DateTimeOffset? next = null;
        foreach (var mapping in definition.Metrics)
        {
            next = Earliest(next, MetricAggregation.NextExpiry(mapping, State.Metrics.GetValueOrDefault(mapping.Name), now), now);
        }

        if (definition.Budget?.PerDay is not null)
        {
            next = Earliest(next, MetricAggregation.NextExpiry(SpendMapping, State.Spend, now), now);
        }

        var horizon = EffectHorizon();
        foreach (var action in State.Actions)
        {
            if (!action.InFlight && action.ExpectedEffects.Count > 0)
            {
                next = Earliest(next, action.CompletedAt!.Value + horizon, now);
            }
        }

        return next;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? current, DateTimeOffset? candidate, DateTimeOffset now) =>
        candidate is { } at && at > now && (current is null || at < current) ? at : current;

    /// <summary>The goal as the API shows it.</summary>
    public GoalSnapshot Snapshot(DateTimeOffset now)
    {
        var definition = State.Definition ?? new GoalDefinition();
        var current = Current(now);
        var projected = Projected(now);
        return new GoalSnapshot
        {
            GoalId = GoalId,
            Status = State.Status,
            Definition = definition,
            Version = State.Version,
            Metrics = current.Where(m => m.Value is not null).ToDictionary(m => m.Key, m => m.Value!.Value),
            Objectives = definition.Objectives.Select(o =>
            {
                var value = current.GetValueOrDefault(o.Metric);
                var ahead = projected.GetValueOrDefault(o.Metric);
                return new ObjectiveStatus
                {
                    Metric = o.Metric,
                    Op = o.Op,
                    Target = o.Target,
                    Weight = o.Weight,
                    Value = value,
                    Projected = ahead,
                    Gap = GapCalculator.Gap(o, value),
                    Satisfied = GapCalculator.IsSatisfied(o, value),
                };
            }).ToArray(),
            InFlight = State.Actions.Where(a => a.InFlight).Select(a => new InFlightAction
            {
                DecisionSeq = a.Seq,
                Function = a.Function,
                StartedAt = a.StartedAt,
                IdempotencyKey = a.IdempotencyKey,
                ResultRecorded = a.Result is not null,
            }).ToArray(),
            Spend = new SpendSnapshot { LastDay = SpentLastDay(now), Total = State.SpendTotal, PerDay = definition.Budget?.PerDay },
            ObservationsProcessed = State.ObservationsProcessed,
            DuplicatesIgnored = State.DuplicatesIgnored,
            DecisionsMade = State.DecisionsMade,
            ActionsTaken = State.ActionsTaken,
            LastDecision = LastDecision(),
            UpdatedAt = State.UpdatedAt,
        };
    }

    /// <summary>Each mapped metric's value now (null = unknown).</summary>
    public Dictionary<string, double?> Current(DateTimeOffset now)
    {
        // Read several times per loop (orient, decide, effects), so a plain loop into a dictionary of the right size.
        var mappings = State.Definition?.Metrics ?? [];
        var values = new Dictionary<string, double?>(mappings.Length, StringComparer.Ordinal);
        foreach (var mapping in mappings)
        {
            values[mapping.Name] = MetricAggregation.Read(mapping, State.Metrics.GetValueOrDefault(mapping.Name), now);
        }

        return values;
    }

    /// <summary>One mapped metric's value now (null = unknown, or no such metric): <see cref="Current"/> without the dictionary.</summary>
    private double? CurrentValue(string metric, DateTimeOffset now)
    {
        foreach (var mapping in State.Definition?.Metrics ?? [])
        {
            if (mapping.Name == metric)
            {
                return MetricAggregation.Read(mapping, State.Metrics.GetValueOrDefault(mapping.Name), now);
            }
        }

        return null;
    }

    /// <summary>Each metric's value once the expected effects of pending actions land.</summary>
    public Dictionary<string, double?> Projected(DateTimeOffset now)
    {
        var values = Current(now);
        var horizon = EffectHorizon();
        foreach (var action in State.Actions)
        {
            if (!EffectPending(action, now, horizon))
            {
                continue;
            }

            foreach (var (metric, effect) in action.ExpectedEffects)
            {
                if (values.TryGetValue(metric, out var value) && value is { } v)
                {
                    values[metric] = v + effect;
                }
            }
        }

        return values;
    }

    /// <summary>Whether <paramref name="action"/>'s expected effects still count toward projections: in flight, or completed within the horizon.</summary>
    private static bool EffectPending(PendingAction action, DateTimeOffset now, TimeSpan horizon) =>
        action.InFlight || now - action.CompletedAt!.Value < horizon;

    /// <summary>Whether any objective has a gap on <see cref="Projected"/> values, computed metric by metric.</summary>
    private bool AnyProjectedGap(GoalDefinition definition, DateTimeOffset now)
    {
        var horizon = EffectHorizon();
        foreach (var objective in definition.Objectives)
        {
            if (GapCalculator.Gap(objective, ProjectedValue(objective.Metric, now, horizon)) > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One metric's <see cref="Projected"/> value (null = unknown), without the dictionaries.</summary>
    private double? ProjectedValue(string metric, DateTimeOffset now, TimeSpan horizon)
    {
        if (CurrentValue(metric, now) is not { } value)
        {
            return null;
        }

        foreach (var action in State.Actions)
        {
            if (EffectPending(action, now, horizon) && action.ExpectedEffects.TryGetValue(metric, out var effect))
            {
                value += effect;
            }
        }

        return value;
    }

    /// <summary>Spend in the rolling day.</summary>
    public double SpentLastDay(DateTimeOffset now) => MetricAggregation.Read(SpendMapping, State.Spend, now) ?? 0;

    private TimeSpan EffectHorizon()
    {
        // Read several times a loop: parsed once per definition (a definition is replaced, never changed).
        if (State.Definition is not { } definition)
        {
            return _options.DefaultEffectHorizon;
        }

        if (!ReferenceEquals(_horizon.Of, definition))
        {
            _horizon = (definition, Durations.ParseOr(definition.EffectHorizon, _options.DefaultEffectHorizon));
        }

        return _horizon.Value;
    }

    /// <summary><see cref="EffectiveGrants"/>, worked out once per definition and function directory: every call carries them.</summary>
    private string[] GrantsFor(GoalDefinition definition, IFunctionDirectory functions)
    {
        if (!ReferenceEquals(_grants.Of, definition) || !ReferenceEquals(_grants.Functions, functions))
        {
            _grants = (definition, functions, EffectiveGrants(definition, functions));
        }

        return _grants.Value;
    }

    /// <summary>
    /// Compares what completed actions were expected to do to <paramref name="touched"/> metrics with what was observed,
    /// and learns the ratio (observed ÷ declared) per function and metric. A realised effect is no longer pending.
    /// </summary>
    private void RealizeEffects(List<string> touched, DateTimeOffset now)
    {
        if (!State.Actions.Exists(a => !a.InFlight))
        {
            // Nothing has completed, so no effect can be realised: the common case while an action is in flight.
            return;
        }

        var realized = t_realized ??= [];
        foreach (var metric in touched)
        {
            // The completed actions expecting an effect on this metric, oldest decision first.
            realized.Clear();
            foreach (var action in State.Actions)
            {
                if (!action.InFlight && action.ExpectedEffects.ContainsKey(metric))
                {
                    realized.Add(action);
                }
            }

            if (realized.Count == 0)
            {
                continue;
            }

            realized.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
            var expectedTotal = 0.0;
            foreach (var action in realized)
            {
                expectedTotal += action.ExpectedEffects[metric];
            }

            if (CurrentValue(metric, now) is { } observedNow && realized[0].Baselines.TryGetValue(metric, out var baseline) && expectedTotal != 0)
            {
                var observedTotal = observedNow - baseline;
                foreach (var action in realized)
                {
                    var expected = action.ExpectedEffects[metric];
                    var correction = CorrectionOf(action.Function, metric);
                    var declared = expected / correction;
                    var observed = observedTotal * (expected / expectedTotal);
                    Learn(action.Function, metric, declared == 0 ? 1 : observed / declared, _options.CorrectionLearningRate);
                }
            }

            foreach (var action in realized)
            {
                action.ExpectedEffects.Remove(metric);
            }
        }

        realized.Clear();
        State.Actions.RemoveAll(a => !a.InFlight && a.ExpectedEffects.Count == 0);
    }

    /// <summary>Moves the correction of <paramref name="function"/>'s effect on <paramref name="metric"/> toward <paramref name="ratio"/> (observed ÷ declared).</summary>
    private void Learn(string function, string metric, double ratio, double rate)
    {
        var known = TryGetCorrection(function, metric, out var current);
        var learnt = (1 - rate) * (known ? current : 1.0) + rate * Math.Clamp(ratio, 0, 2);
        if (known && learnt == current)
        {
            // An effect that showed as expected teaches nothing new: no key string to make.
            return;
        }

        // A correction that moved is set through the same key on the stack: the key string is made only for a new one.
        var length = function.Length + 1 + metric.Length;
        if (length <= 256 && State.EffectCorrections.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup))
        {
            Span<char> key = stackalloc char[length];
            WriteCorrectionKey(key, function, metric);
            lookup[key] = learnt;
            return;
        }

        State.EffectCorrections[CorrectionKey(function, metric)] = learnt;
    }

    private void Remember(ulong fingerprint)
    {
        // Forget first, so the window never holds more than its size (its ring would grow to twice that).
        var window = State.RecentObservations;
        var excess = window.Count + 1 - Math.Max(1, _options.DedupeWindow);
        if (excess > 0)
        {
            for (var i = 0; i < excess; i++)
            {
                _recentIds.Remove(window[i]);
            }

            window.RemoveOldest(excess);
        }

        _recentIds.Add(fingerprint);
        window.Add(fingerprint);
    }

    private void AppendDecision(DecisionRecord record)
    {
        State.Decisions.Add(record);
        _newestArchived = null; // no longer the newest
    }

    private DecisionRecord? FindDecision(long seq)
    {
        return State.Decisions.Find(seq) ?? (_newestArchived?.Seq == seq ? _newestArchived : null);
    }

    /// <summary>
    /// The call's arguments: <c>{ goalId, decisionSeq, context?, metrics, trigger: { id, kind, data } }</c>. Written
    /// directly rather than through the serializer's object and dictionary converters: this runs for every decision that
    /// acts, on the path from the observation to the write that lets the function be called.
    /// </summary>
    private JsonElement BuildArguments(long seq, DecisionContext context, Observation trigger) =>
        JsonScratch.Element((Goal: this, Seq: seq, Context: context, Trigger: trigger), static (writer, call) =>
        {
            writer.WriteStartObject();
            writer.WriteString("goalId", call.Goal.GoalId);
            writer.WriteNumber("decisionSeq", call.Seq);
            if (call.Goal.State.Definition!.Context is { } goalContext)
            {
                writer.WritePropertyName("context");
                goalContext.WriteTo(writer);
            }

            writer.WriteStartObject("metrics");

            // The context is the engine's own (PrepareDecision), whose projection is a dictionary: enumerated as one, not
            // through a boxed enumerator.
            var projected = call.Context.Projected as Dictionary<string, double?> ?? new(call.Context.Projected);
            foreach (var (metric, value) in projected)
            {
                if (value is { } known)
                {
                    writer.WriteNumber(metric, known);
                }
            }

            writer.WriteEndObject();
            writer.WriteStartObject("trigger");
            writer.WriteString("id", call.Trigger.Id);
            writer.WriteString("kind", call.Trigger.Kind);
            writer.WritePropertyName("data");
            call.Goal.DataOf(call.Trigger).WriteTo(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });

    /// <summary>Whether a metric of the goal is mapped from <c>action.result</c> observations, so reads their data.</summary>
    private bool MapsActionResults()
    {
        foreach (var mapping in State.Definition?.Metrics ?? [])
        {
            if (string.Equals(mapping.From, ObservationKinds.ActionResult, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="observation"/>'s data; for an outcome fed back (<see cref="CompleteAction"/>) whose data was not
    /// built yet, built now, as it would have been then.
    /// </summary>
    public JsonElement DataOf(Observation observation)
    {
        if (_unbuiltResults is { } unbuilt)
        {
            foreach (var u in unbuilt)
            {
                if (ReferenceEquals(u.Result, observation))
                {
                    return ResultData(u.Function, u.Seq, u.Outcome);
                }
            }
        }

        return observation.Data;
    }

    /// <summary>
    /// The data of the <c>action.result</c> observation fed back: <c>{ function, decisionSeq, status, durationMs, output?,
    /// error? }</c>, as the product's JSON options would write it (nulls left out).
    /// </summary>
    private static JsonElement ResultData(string function, long seq, ActionOutcome outcome) =>
        JsonScratch.Element((Function: function, Seq: seq, Outcome: outcome), static (writer, result) =>
        {
            writer.WriteStartObject();
            writer.WriteString("function", result.Function);
            writer.WriteNumber("decisionSeq", result.Seq);
            writer.WriteString("status", result.Outcome.Status);
            writer.WriteNumber("durationMs", result.Outcome.DurationMs);
            if (result.Outcome.Output is { ValueKind: not JsonValueKind.Undefined } output)
            {
                writer.WritePropertyName("output");
                output.WriteTo(writer);
            }

            if (result.Outcome.Error is { } error)
            {
                writer.WriteString("error", error);
            }

            writer.WriteEndObject();
        });

    private ActionRequest ToRequest(PendingAction action, bool reissued = false) => new(
        action.Seq,
        new FunctionCall
        {
            Function = action.Function,
            IdempotencyKey = action.IdempotencyKey,
            GoalId = GoalId,
            DecisionSeq = action.Seq,
            Arguments = action.Arguments,
            Grants = action.Grants,
            Reissued = reissued,
        },
        TimeSpan.FromMilliseconds(action.TimeoutMs),
        action.Result);

    /// <summary>The goal's grants as written, or else exactly the permissions of the functions it may call.</summary>
    public static string[] EffectiveGrants(GoalDefinition definition, IFunctionDirectory functions) =>
        definition.Grants ?? definition.AllowedFunctions
            .Select(name => functions.Find(name)?.Permission)
            .OfType<string>()
            .Where(p => p.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    private static string CorrectionKey(string function, string metric) => $"{function}|{metric}";

    /// <summary><see cref="CorrectionKey"/> written into <paramref name="key"/>, which is exactly its length.</summary>
    private static void WriteCorrectionKey(Span<char> key, string function, string metric)
    {
        function.CopyTo(key);
        key[function.Length] = '|';
        metric.CopyTo(key[(function.Length + 1)..]);
    }

    /// <summary>The learnt correction of <paramref name="function"/>'s effect on <paramref name="metric"/> (1 = as declared).</summary>
    private double CorrectionOf(string function, string metric) => TryGetCorrection(function, metric, out var correction) ? correction : 1.0;

    private bool TryGetCorrection(string function, string metric, out double correction)
    {
        var corrections = State.EffectCorrections;
        if (corrections.Count == 0)
        {
            correction = default;
            return false;
        }

        // Looked up several times per decision: by a key built on the stack, not a string per lookup.
        var length = function.Length + 1 + metric.Length;
        if (length <= 256 && corrections.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup))
        {
            Span<char> key = stackalloc char[length];
            WriteCorrectionKey(key, function, metric);
            return lookup.TryGetValue(key, out correction);
        }

        return corrections.TryGetValue(CorrectionKey(function, metric), out correction);
    }

    /// <summary>The corrections learnt for <paramref name="function"/>, by metric of the goal's objectives; empty (shared) when none.</summary>
    private IReadOnlyDictionary<string, double> CorrectionsFor(string function, GoalDefinition definition)
    {
        Dictionary<string, double>? found = null;
        if (State.EffectCorrections.Count > 0)
        {
            foreach (var objective in definition.Objectives)
            {
                if (TryGetCorrection(function, objective.Metric, out var correction))
                {
                    (found ??= new(StringComparer.Ordinal))[objective.Metric] = correction;
                }
            }
        }

        return found ?? NoCorrections;
    }
}

/// <summary>What became of one observation.</summary>
public enum ObserveResult
{
    /// <summary>Its id had been processed already; ignored.</summary>
    Duplicate,

    /// <summary>No metric derives from it; counted, nothing else.</summary>
    Irrelevant,

    /// <summary>It changed at least one metric.</summary>
    Relevant,
}

/// <summary>A function call Act must make.</summary>
/// <param name="Seq">The decision's sequence number.</param>
/// <param name="Call">The call, with its idempotency key.</param>
/// <param name="Timeout">How long to wait for it.</param>
/// <param name="Recorded">The result recorded for the call before the goal stopped, if any: the answer, without calling again.</param>
public sealed record ActionRequest(long Seq, FunctionCall Call, TimeSpan Timeout, FunctionResult? Recorded = null);

/// <summary>
/// What one history write takes from a goal's state: the records a completed state write covered, and the oldest
/// <see cref="Parked"/> decisions the state holds as bytes (every one parked when the batch was taken).
/// </summary>
public readonly record struct ArchiveBatch(DecisionRecord[] Records, int Parked)
{
    /// <summary>Whether the batch takes nothing.</summary>
    public bool IsEmpty => Records.Length == 0 && Parked == 0;
}

/// <summary>An <c>action.result</c> observation whose data is not written yet, and what it is written from.</summary>
internal readonly record struct UnbuiltResult(Observation Result, string Function, long Seq, ActionOutcome Outcome);
