using System.Diagnostics;
using System.Text.Json;
using Mdl.Audit;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Observations;
using Mdl.Storage;
using Mdl.Streams;
using Mdl.Telemetry;
using Mdl.Topics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Storage;
using Orleans.Streams;
using Orleans.Streams.Core;
using Orleans.Utilities;
using Polly;
using Polly.CircuitBreaker;

namespace Mdl.Goals;

/// <summary>
/// A goal: the durable, reentrant shell around <see cref="GoalEngine"/>. Observations arrive by direct call, by the goal's
/// own stream (implicit subscription) and from topics (whose subscriber shards call it directly); all take the same path.
/// </summary>
/// <remarks>
/// The grain is reentrant so it keeps observing while its actions are in flight. Engine methods never await, so state
/// only changes between awaits; writes are serialised and coalesced (a write covers every change made before it began).
/// A decision to call an external function is written before the call goes out (write-ahead); calls of read-only and
/// idempotent functions, harmless to repeat, go out while their decision is written. Calls are re-issued with the same
/// idempotency key if the goal restarts while they are in flight.
/// </remarks>
[Reentrant]
[ImplicitStreamSubscription(StreamNames.GoalNamespace)]
[GrainType(GrainTypeName)]
internal sealed class GoalGrain(
    [PersistentState(GoalGrain.StateName, StorageNames.Goals)] IPersistentState<GoalState> state,
    FunctionCatalog functions,
    FunctionGrains functionGrains,
    FunctionStatsBook stats,
    FunctionStatsShipper statsShipper,
    FunctionResilience resilience,
    DecisionPolicies policies,
    IOptions<GoalEngineOptions> options,
    IOptions<GoalRecoveryOptions> recovery,
    TimeProvider time,
    IServiceProvider services,
    GoalWakeUps wakeUps,
    ILogger<GoalGrain> logger) : Grain, IGoalGrain, IGoalLedgerGrain, IGoalClockGrain, IStreamSubscriptionObserver, IRemindable
{
    /// <summary>The goal grain's type name: function calls are accepted only from grains of this type.</summary>
    public const string GrainTypeName = "mdl.goal";

    /// <summary>The name the goal's state is stored under, which the silos' recovery looks up (<see cref="GoalRecovery"/>).</summary>
    public const string StateName = "goal";

    private const string WakeUpReminder = "wake-up";

    // Wake-ups further away than this are also kept in a reminder, which outlives the activation. Nearer ones (an
    // effect horizon, 10 minutes by default) rely on the timer: an idle activation lives 15 minutes by default, and a
    // reminder per goal per action would cost a reminder-table write on every loop.
    private static readonly TimeSpan ReminderThreshold = TimeSpan.FromMinutes(10);

    private ObserverManager<IDecisionWatcher>? _watchers; // made by the first watcher: most goals are never watched
    private GoalEngine _engine = null!;
    private long _changes;
    private long _saved;
    private Task? _writing;
    // A wake-up is a little later than the moment itself, so the change it wakes for has happened when it comes.
    private static readonly TimeSpan WakeUpMargin = TimeSpan.FromMilliseconds(10);

    private WakeUpTicket? _wakeUp; // the wake-up asked of the silo's scheduler, not yet delivered
    private DateTimeOffset? _reminderAt;
    private Task _reminderChange = Task.CompletedTask;
    private int _reminderChanges;
    private readonly IAuditLog? _audit = services.GetService<IAuditLog>();
    private List<QueuedAudit>? _auditQueue; // made by the first entry: a silo without an audit log never queues one
    private Task _auditAppend = Task.CompletedTask;

    // Decisions the last completed state write covered: only these may move to the history, so the history never
    // holds a decision that a failed write (and the reload after it) could take back.
    private DecisionRecord[] _written = [];
    private IGrainTimer? _historyTimer;

    // The history is read and written in storage, one step at a time: a view read between a page's write and the state
    // dropping what it wrote would miss those decisions, and two archives joining the same page must not interleave.
    private Task _historyLane = Task.CompletedTask;
    private int _historySteps;

    // Which stored pages hold the history: read from storage at the activation's first history step, then kept up to
    // date by its own writes (only this activation writes the history). A failed write drops it, so the next step reads
    // storage again rather than trust an ETag the failure may have made stale.
    private DecisionPageIndex? _pages;
    private IGrainTimer? _outcomeTimer;
    private long? _behindSince; // Stopwatch timestamp, like the grain timer's own clock
    private bool _diverged;

    private string? _goalId;

    private string GoalId => _goalId ??= this.GetPrimaryKeyString(); // decoded from the key once, not at every use

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MdlTelemetry.GoalActivated(+1);
        _engine = new GoalEngine(GoalId, state.State, options.Value);
        _engine.RestoreDue(recovery.Value.Grace);

        // Decisions loaded with the state are durable: they may move to the history.
        _written = [.. state.State.Decisions];
        ScheduleArchive();
        if (_engine.IsActive)
        {
            // Calls in flight when the goal last stopped: re-issue them with the same idempotency keys rather than forget them.
            foreach (var request in _engine.InFlightRequests())
            {
                // A call in flight when the goal stopped means its last activation ended without the answer (a crash, or a
                // refused write): worth an operator's notice, and what tells a repeated effect's cause from the logs.
                if (request.Recorded is null)
                {
                    logger.LogWarning(
                        "Goal {GoalId} re-issues call {IdempotencyKey} to {Function}, in flight when the goal last stopped",
                        GoalId, request.Call.IdempotencyKey, request.Call.Function);
                }
                else
                {
                    logger.LogWarning(
                        "Goal {GoalId} completes call {IdempotencyKey} to {Function}, in flight when the goal last stopped, with the result its worker recorded; the function is not called again",
                        GoalId, request.Call.IdempotencyKey, request.Call.Function);
                }

                MdlTelemetry.CallsReissued.Add(
                    1,
                    new KeyValuePair<string, object?>(MdlTelemetry.Tags.Function, request.Call.Function),
                    new KeyValuePair<string, object?>(MdlTelemetry.Tags.Answer, request.Recorded is null ? "function" : "recorded"));
                StartAction(new ActionStart(request, Stopwatch.GetTimestamp(), default));
            }

            FlushAudit();
            ScheduleWakeUp();
            var now = time.GetUtcNow();
            if (state.State.WakeAt <= now)
            {
                // The wake-up it asked for was due while it was not active (its silo died, or the in-memory wake-up ended
                // with the activation): re-decide now, as that wake-up would have.
                _wakeUp = _wakeUp is { } armed ? wakeUps.Move(armed, now) : wakeUps.Schedule(this.GetGrainId(), now);
            }
        }
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        MdlTelemetry.GoalActivated(-1);

        // As a grain timer would, the wake-up ends with the activation (a far one is also in a reminder); a call for it
        // would only activate the goal again.
        if (_wakeUp is { } ticket)
        {
            wakeUps.Cancel(ticket);
            _wakeUp = null;
        }

        if (_diverged)
        {
            // A write failed: memory holds what storage refused, so nothing of it is written now.
            return;
        }

        try
        {
            // Write what waits behind (an outcome, decisions for the history) rather than leave it to a re-issue.
            if (_changes > _saved)
            {
                await PersistAsync();
            }

            await ArchiveAsync();
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Goal {GoalId} could not write its pending changes while deactivating", GoalId);
        }
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WakeUpReminder)
        {
            return;
        }

        // The reminder fired: re-decide, then keep it only if a far wake-up is still wanted.
        _reminderAt = null;
        await WakeUpNowAsync();
        if (_reminderAt is null)
        {
            ChangeReminder(null);
        }
    }

    /// <inheritdoc />
    public async Task<GoalSnapshot> PutDefinitionAsync(GoalDefinition definition)
    {
        var normalized = Normalize(definition);
        var errors = GoalDefinitionValidator.Validate(normalized, functions.Names, policies.Names, name => functions.Find(name)?.Permission);
        if (errors.Count > 0)
        {
            throw new GoalDefinitionException(errors);
        }

        var now = time.GetUtcNow();
        var previousTopics = state.State.Definition?.Topics ?? [];
        _engine.Define(normalized, now);
        Audit(AuditKinds.Defined, new { version = state.State.Version, definition = normalized });
        await PersistAsync();
        FlushAudit();
        await GoalRegistry.For(GrainFactory, GoalId).SetAsync(GoalId, state.State.Status);
        await SyncTopicsAsync(previousTopics);

        // A new definition may open a gap that nothing has observed yet: decide now rather than wait for an event.
        await DecideAndActAsync(new Observation { Id = $"definition/{state.State.Version}", Kind = "goal.defined", Time = now });
        return await SnapshotAsync();
    }

    /// <inheritdoc />
    public async Task<GoalSnapshot?> GetSnapshotAsync() => _engine.IsDefined ? await SnapshotAsync() : null;

    /// <summary>The snapshot, reading the newest decision back from the history first if it has left the state.</summary>
    private async Task<GoalSnapshot> SnapshotAsync()
    {
        if (_engine.NeedsArchivedNewest)
        {
            await InHistoryLane(async () =>
            {
                _engine.KnowArchived(await ReadNewestArchivedAsync());
                return true;
            });
        }

        return _engine.Snapshot(time.GetUtcNow());
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync()
    {
        if (!_engine.IsDefined)
        {
            return false;
        }

        _engine.Delete(time.GetUtcNow());
        Audit(AuditKinds.Deleted, new { });
        await PersistAsync();
        FlushAudit();
        await GoalRegistry.For(GrainFactory, GoalId).SetAsync(GoalId, GoalStatus.Deleted);
        await SyncTopicsAsync(state.State.Definition!.Topics);
        return true;
    }

    /// <inheritdoc />
    public async Task<GoalSnapshot?> PauseAsync() => await SetPausedAsync(paused: true);

    /// <inheritdoc />
    public async Task<GoalSnapshot?> ResumeAsync()
    {
        var snapshot = await SetPausedAsync(paused: false);
        if (snapshot is not null)
        {
            // Whatever gap opened while paused is acted on now, not at the next observation.
            await DecideAndActAsync(new Observation { Id = $"resumed/{time.GetUtcNow().UtcTicks}", Kind = "goal.resumed", Time = time.GetUtcNow() });
            snapshot = await SnapshotAsync();
        }

        return snapshot;
    }

    private async Task<GoalSnapshot?> SetPausedAsync(bool paused)
    {
        if (!_engine.IsDefined)
        {
            return null;
        }

        if (!_engine.IsActive)
        {
            throw new GoalNotFoundException(GoalId, $"goal '{GoalId}' was deleted; put a definition to bring it back");
        }

        if (_engine.IsPaused != paused)
        {
            _engine.SetPaused(paused, time.GetUtcNow());
            Audit(paused ? AuditKinds.Paused : AuditKinds.Resumed, new { });
            await PersistAsync();
            FlushAudit();
            await GoalRegistry.For(GrainFactory, GoalId).SetAsync(GoalId, state.State.Status);
        }

        return await SnapshotAsync();
    }

    /// <inheritdoc />
    public async Task<ObserveReceipt> ObserveAsync(Observation[] observations)
    {
        if (!_engine.IsActive)
        {
            throw new GoalNotFoundException(GoalId, _engine.IsDefined
                ? $"goal '{GoalId}' was deleted; put a definition to bring it back"
                : $"goal '{GoalId}' is not defined");
        }

        var accepted = 0;
        var duplicates = 0;
        // Sized for the usual call: one decision, one action.
        var actions = new List<ActionStart>(1);
        var decided = DecidedForWatchers();
        List<Activity>? loops = null; // only when something listens to the loop's spans
        var changed = false;

        // One moment for the whole call: its observations arrived together, and each step reading the clock was most of a
        // loop's clock reads.
        var now = time.GetUtcNow();
        var arrived = MdlTelemetry.ObservationArrived();
        try
        {
            foreach (var raw in observations)
            {
                var observation = raw.WithDefaults(now);
                var loop = StartLoop(observation);
                if (loop is not null)
                {
                    (loops ??= []).Add(loop);
                }

                switch (Observe(observation, now))
                {
                    case ObserveResult.Duplicate:
                        duplicates++;
                        continue;
                    case ObserveResult.Relevant:
                        changed = true;
                        now = await DecideAsync(observation, actions, decided, now, arrived, loop?.Context ?? default);
                        break;
                }

                accepted++;
            }

            // The acknowledgement is durable: it returns only once every relevant observation and decision is written.
            // A duplicate also waits, in case the original is still being written by a call this one overtook.
            if (changed || duplicates > 0)
            {
                await WriteAheadAsync(actions);
            }
        }
        finally
        {
            if (loops is not null)
            {
                foreach (var loop in loops)
                {
                    loop.Dispose();
                }
            }
        }

        Notify(decided);

        // The calls left (external ones) waited for their decisions' write, done now: they go out before the audit
        // entries are serialised and appended.
        foreach (var action in actions)
        {
            StartAction(action);
        }

        FlushAudit();

        return new ObserveReceipt(accepted, duplicates);
    }

    /// <inheritdoc />
    public async Task RecordResultAsync(string idempotencyKey, FunctionResult result)
    {
        // The goal is its own idempotency ledger: the record rides in the state the goal writes anyway (the in-flight
        // action), so no grain or state per goal exists only for it. The worker waits for this write before answering.
        if (_engine.RecordResult(idempotencyKey, result, time.GetUtcNow()))
        {
            await PersistAsync();
        }
        else if (_changes > _saved)
        {
            // Recorded already by an earlier attempt whose write may still be running: answer once it is durable.
            await PersistAsync();
        }
    }

    /// <inheritdoc />
    public Task<DecisionRecord[]> GetDecisionsAsync(int limit) =>
        InHistoryLane(async () => _engine.Decisions(await ReadArchivedAsync(limit), limit));

    /// <inheritdoc />
    public Task WatchAsync(IDecisionWatcher watcher)
    {
        (_watchers ??= new(TimeSpan.FromMinutes(1), logger)).Subscribe(watcher, watcher);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UnwatchAsync(IDecisionWatcher watcher)
    {
        _watchers?.Unsubscribe(watcher);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        // The goal's own stream: every goal id is implicitly subscribed, so publishing to it reaches the goal.
        var handle = handleFactory.Create<Observation>();
        await handle.ResumeAsync(OnStreamItemAsync);
    }

    private async Task OnStreamItemAsync(Observation observation, StreamSequenceToken? token)
    {
        if (!_engine.IsActive)
        {
            logger.LogDebug("Goal {GoalId} is not active; stream observation {ObservationId} ignored", GoalId, observation.Id);
            return;
        }

        await ObserveAsync([observation]);
    }

    private async Task DecideAndActAsync(Observation trigger)
    {
        var actions = new List<ActionStart>();
        var decided = DecidedForWatchers();
        using (var loop = StartLoop(trigger))
        {
            await DecideAsync(trigger, actions, decided, time.GetUtcNow(), MdlTelemetry.ObservationArrived(), loop?.Context ?? default);
            if (actions.Count > 0 || _changes > _saved)
            {
                await WriteAheadAsync(actions);
            }
        }

        Notify(decided);

        // The calls left (external ones) waited for their decisions' write, done now: they go out before the audit
        // entries are serialised and appended.
        foreach (var action in actions)
        {
            StartAction(action);
        }

        FlushAudit();
    }

    private Activity? StartLoop(Observation observation) =>
        MdlTelemetry.Source.StartActivity("mdl.loop")
            ?.SetTag(MdlTelemetry.Tags.GoalId, GoalId)
            .SetTag(MdlTelemetry.Tags.ObservationKind, observation.Kind);

    /// <summary>Observe (dedupe, unless <paramref name="deduplicate"/> is false) and the metric half of Orient, timed as the observe stage.</summary>
    private ObserveResult Observe(Observation observation, DateTimeOffset now, bool deduplicate = true)
    {
        var started = MdlTelemetry.StageStarted();
        ObserveResult result;
        using (var span = MdlTelemetry.Source.StartActivity("mdl.observe"))
        {
            result = _engine.Observe(observation, now, deduplicate);
            span?.SetTag(MdlTelemetry.Tags.Result, Describe(result));
        }

        MdlTelemetry.StageTook("observe", started);
        MdlTelemetry.Observations.Add(1, new KeyValuePair<string, object?>(MdlTelemetry.Tags.Result, Describe(result)));
        return result;
    }

    /// <summary>
    /// Orient's last step, Decide and the decision's record, at <paramref name="now"/>. Returns the moment the decision
    /// was committed: <paramref name="now"/> itself, unless the policy took its time (an asynchronous policy may think
    /// for seconds), when the clock is read again.
    /// </summary>
    private async ValueTask<DateTimeOffset> DecideAsync(
        Observation trigger, List<ActionStart> actions, List<DecisionRecord>? decided, DateTimeOffset now, long arrivedAt, ActivityContext loop)
    {
        var started = MdlTelemetry.StageStarted();
        DecisionContext? context;
        using (MdlTelemetry.Source.StartActivity("mdl.orient"))
        {
            context = _engine.PrepareDecision(functions, now);
        }

        MdlTelemetry.StageTook("orient", started);
        if (context is null)
        {
            return now;
        }

        started = MdlTelemetry.StageStarted();
        using var span = MdlTelemetry.Source.StartActivity("mdl.decide");
        var policy = policies.For(context.Definition);
        var thinking = policy.DecideAsync(context, CancellationToken.None);
        DecisionProposal proposal;
        if (thinking.IsCompletedSuccessfully)
        {
            proposal = thinking.Result;
        }
        else
        {
            proposal = await thinking;
            now = time.GetUtcNow();
        }

        var (decision, action) = _engine.CommitDecision(context, proposal, policy.Name, trigger, functions, now);
        _changes++;
        span?.SetTag(MdlTelemetry.Tags.Candidates, proposal.Candidates.Count(c => c.Excluded is null))
            .SetTag(MdlTelemetry.Tags.Chosen, decision.Chosen)
            .SetTag(MdlTelemetry.Tags.Utility, decision.Utility)
            .SetTag(MdlTelemetry.Tags.DecisionSeq, decision.Seq);
        MdlTelemetry.StageTook("decide", started);
        MdlTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("mdl.decision", action is null ? "no-action" : "act"));
        if (action is not null)
        {
            actions.Add(new ActionStart(action, arrivedAt, loop));
        }

        decided?.Add(decision);
        if (_audit is not null)
        {
            AuditDecision(decision);
        }

        return now;
    }

    private void AuditDecision(DecisionRecord decision) =>
        Audit(AuditKinds.Decision, new
        {
            decision.Seq,
            decision.Trigger,
            decision.Chosen,
            decision.Utility,
            decision.Reason,
            decision.Policy,
            decision.Gaps,
            Candidates = decision.Candidates.Select(c => new { c.Function, c.Excluded, c.Utility }),
            decision.Arguments,
        });

    private void StartAction(ActionStart start)
    {
        var call = start.Request.Call;
        if (_audit is not null)
        {
            // Queued ahead of the call (an outcome that comes back at once must not overtake it); the caller flushes.
            Audit(AuditKinds.Call, new { seq = call.DecisionSeq, call.Function, call.IdempotencyKey, call.Grants });
        }

        _ = RunActionAsync(start);
    }

    private async Task RunActionAsync(ActionStart start)
    {
        var request = start.Request;
        using var span = MdlTelemetry.Source.StartActivity("mdl.act", ActivityKind.Internal, start.Loop)
            ?.SetTag(MdlTelemetry.Tags.GoalId, GoalId)
            .SetTag(MdlTelemetry.Tags.Function, request.Call.Function)
            .SetTag(MdlTelemetry.Tags.DecisionSeq, request.Seq);
        var started = Stopwatch.GetTimestamp();
        string status;
        JsonElement? output = null;
        string? error = null;
        MdlTelemetry.ActionInFlight(+1);
        try
        {
            FunctionResult? result;
            if (request.Recorded is { } recorded)
            {
                result = recorded; // recorded before the goal lost the answer: the function acted once, and is not called again
            }
            else if (functions.Find(request.Call.Function) is { } descriptor)
            {
                // The attempt and the pipeline awaited here, not through an async method around them: while the circuit is
                // closed the call suspends this turn only, and a success passes through the pipeline without suspending.
                var context = resilience.Rent(descriptor, request.Timeout);
                try
                {
                    Func<CancellationToken, Task<FunctionResult>> call = _ => functionGrains.Worker(request.Call.Function).InvokeAsync(request.Call);
                    Outcome<FunctionResult> attempts;
                    if (resilience.StartIfClosed(descriptor, context, call) is { } first)
                    {
                        await ((Task)first).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
                        attempts = await resilience.PassAsync(descriptor, context, call, FunctionResilience.OutcomeOf(first));
                    }
                    else
                    {
                        attempts = await resilience.ExecuteOutcomeAsync(descriptor, context, call);
                    }

                    attempts.ThrowIfException();
                    result = attempts.Result;
                }
                finally
                {
                    FunctionResilience.Return(context);
                }
            }
            else
            {
                result = FunctionResult.Failure($"function '{request.Call.Function}' is no longer offered");
            }

            (status, output, error) = result switch
            {
                null => (OutcomeStatus.Failed, null, "the function returned nothing"),
                { Succeeded: true } => (OutcomeStatus.Succeeded, result.Output, null),
                _ => (OutcomeStatus.Failed, (JsonElement?)null, result.Error ?? "the function reported a failure"),
            };
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
            (status, error) = (OutcomeStatus.TimedOut, $"no answer within {request.Timeout.TotalMilliseconds:0} ms");
        }
        catch (BrokenCircuitException)
        {
            (status, error) = (OutcomeStatus.Failed, "circuit open: the function has been failing; calls are refused until it recovers");
        }
        catch (Exception exception)
        {
            (status, error) = (OutcomeStatus.Failed, $"{exception.GetType().Name}: {exception.Message}");
        }
        finally
        {
            MdlTelemetry.ActionInFlight(-1);
        }

        // Made once, with its timing: the outcome is the loop's one record of what the call did.
        var took = Stopwatch.GetElapsedTime(started);
        var outcome = new ActionOutcome
        {
            Status = status,
            Output = output,
            Error = error,
            DurationMs = took.TotalMilliseconds,
            CompletedAt = time.GetUtcNow(),
        };
        span?.SetTag(MdlTelemetry.Tags.Outcome, outcome.Status);
        if (outcome.Status != OutcomeStatus.Succeeded)
        {
            span?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        }

        var function = new KeyValuePair<string, object?>(MdlTelemetry.Tags.Function, request.Call.Function);
        MdlTelemetry.StageTook("act", took);
        MdlTelemetry.Actions.Add(1, function, new KeyValuePair<string, object?>(MdlTelemetry.Tags.Outcome, outcome.Status));
        MdlTelemetry.Spend.Add(functions.Find(request.Call.Function)?.Cost ?? 0, function);
        MdlTelemetry.ActionCompleted(start.ArrivedAt, function);
        try
        {
            await OnOutcomeAsync(request, outcome);
        }
        catch (Exception exception)
        {
            // The outcome stays unwritten, so the call is re-issued with its key when the goal next activates.
            logger.LogError(exception, "Goal {GoalId} could not record the outcome of decision {Seq}", GoalId, request.Seq);
        }
    }

    private async Task OnOutcomeAsync(ActionRequest request, ActionOutcome outcome)
    {
        var cost = functions.Find(request.Call.Function)?.Cost ?? 0;
        var sample = new FunctionCallSample(outcome.Status, outcome.DurationMs, cost, outcome.CompletedAt);
        stats.Record(request.Call.Function, sample);
        statsShipper.Add(request.Call.Function, sample);

        // The outcome's moment is this step's, unless reading the history below takes a while.
        var now = outcome.CompletedAt;

        // An outcome that comes back after its decision moved to the history is recorded on the record the history holds.
        DecisionRecord? archived = null;
        if (_engine.NeedsArchivedDecision(request.Seq))
        {
            try
            {
                archived = await InHistoryLane(() => FindArchivedAsync(request.Seq));
                now = time.GetUtcNow();
            }
            catch (Exception exception)
            {
                // The outcome is recorded on a bare record instead; archiving puts it on the full one.
                logger.LogWarning(exception, "Goal {GoalId} could not read decision {Seq} back from its history", GoalId, request.Seq);
            }
        }

        if (_engine.CompleteAction(request.Seq, outcome, now, archived) is not var (decision, result))
        {
            return;
        }

        _changes++;
        if (_audit is not null)
        {
            Audit(AuditKinds.Outcome, new { seq = request.Seq, request.Call.Function, outcome.Status, outcome.DurationMs, outcome.Error, outcome.Output });
        }

        // The outcome is an observation like any other: straight back into Observe, no polling.
        var actions = new List<ActionStart>();
        var decided = DecidedForWatchers();
        decided?.Add(decision);
        using (var loop = StartLoop(result))
        {
            if (_engine.IsActive)
            {
                try
                {
                    // Made once per action (a repeated outcome was refused above), so it needs no place in the dedupe window.
                    Observe(result, now, deduplicate: false);
                    now = await DecideAsync(result, actions, decided, now, MdlTelemetry.ObservationArrived(), loop?.Context ?? default);
                }
                finally
                {
                    _engine.Settled(result); // decided on: its data can no longer be asked for
                }
            }

            if (actions.Count > 0)
            {
                // Write-ahead: the new decision (and this outcome with it) is durable before an external call goes out.
                await WriteAheadAsync(actions);
            }
            else
            {
                // Nothing new starts, so nothing depends on this write: it rides with the goal's next write, or is flushed
                // within OutcomeWriteDelay. Lost in a crash, the call is re-issued with its key and the outcome comes back.
                WriteBehind(now);
            }
        }

        Notify(decided);

        // The calls left (external ones) waited for their decisions' write, done now: they go out before the audit
        // entries are serialised and appended.
        foreach (var action in actions)
        {
            StartAction(action);
        }

        FlushAudit();
    }

    private static string Describe(ObserveResult result) => result switch
    {
        ObserveResult.Duplicate => "duplicate",
        ObserveResult.Irrelevant => "irrelevant",
        _ => "relevant",
    };

    /// <summary>
    /// Queues an audit entry; <see cref="FlushAudit"/> serialises it (sensitive fields masked) and appends it once the state
    /// is written. Serialising at the flush keeps the JSON work off the path from an observation to its function call.
    /// </summary>
    private void Audit(string kind, object payload)
    {
        if (_audit is null)
        {
            return;
        }

        (_auditQueue ??= []).Add(new QueuedAudit(kind, time.GetUtcNow(), payload, state.State.Definition?.Sensitive));
    }

    /// <summary>Appends queued audit entries in order, behind earlier appends, off the acknowledgement's path.</summary>
    private void FlushAudit()
    {
        if (_audit is null || _auditQueue is not { Count: > 0 })
        {
            return;
        }

        var records = new AuditRecord[_auditQueue.Count];
        for (var i = 0; i < records.Length; i++)
        {
            var (kind, at, payload, sensitive) = _auditQueue[i];
            var data = JsonSerializer.SerializeToElement(payload, MdlJson.Options);
            if (sensitive is { Length: > 0 })
            {
                // Observation data appears as trigger.data (in arguments) and as an action's output: mask the paths there too.
                data = SensitiveMask.Mask(data, sensitive.SelectMany(p => new[] { p, $"arguments.trigger.{p}", $"output.{p}", $"definition.context.{p}" }).ToArray());
            }

            records[i] = new AuditRecord(GoalId, kind, at, data);
        }

        _auditQueue.Clear();
        _auditAppend = AppendAuditAfterAsync(_auditAppend, records);
    }

    private async Task AppendAuditAfterAsync(Task previous, AuditRecord[] records)
    {
        await previous;
        foreach (var record in records)
        {
            try
            {
                await _audit!.AppendAsync(record);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Goal {GoalId} could not append a {Kind} entry to its audit log", GoalId, record.Kind);
            }
        }
    }

    /// <summary>
    /// A list to collect a call's decisions in for <see cref="Notify"/>, or null when nobody watches the goal: most goals
    /// are never watched, and the list was made for every observation and every outcome.
    /// </summary>
    private List<DecisionRecord>? DecidedForWatchers() => _watchers is { Count: > 0 } ? new(1) : null;

    /// <summary>Tells watchers of decisions once they are durable, so nobody sees a decision a failed write loses.</summary>
    private void Notify(List<DecisionRecord>? decisions)
    {
        if (decisions is null || _watchers is not { Count: > 0 } watchers)
        {
            return;
        }

        foreach (var decision in decisions)
        {
            watchers.Notify(w => w.OnDecision(decision));
        }
    }

    /// <summary>
    /// Writes the state ahead of the calls in <paramref name="actions"/>. Calls of read-only and idempotent functions go out
    /// first and leave the list: repeating one is harmless, so it need not wait for its decision to be durable. (If the
    /// write fails, the goal reloads its state and the observation is not acknowledged, so the call may be made again
    /// when the observation is retried or the outcome before it is fed back again.) Calls of external functions stay in
    /// the list, for the caller to start once the write is done.
    /// </summary>
    /// <remarks>
    /// Not an async method, nor is <see cref="PersistAsync"/>: the caller awaits the write itself. Every async layer
    /// between a goal's turn and its storage suspends when the write does, and on a grain's scheduler each one resumes
    /// through a continuation and a task of its own, so the write path of a loop has as few layers as it can.
    /// </remarks>
    private Task WriteAheadAsync(List<ActionStart> actions)
    {
        // Start the repeat-safe calls in order, and keep the others, in order, at the front of the list.
        var waiting = 0;
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            if (SideEffectClass.IsRepeatSafe(functions.Find(action.Request.Call.Function)?.SideEffect))
            {
                StartAction(action);
            }
            else
            {
                actions[waiting++] = action;
            }
        }

        var started = waiting < actions.Count;
        actions.RemoveRange(waiting, actions.Count - waiting);

        // The calls' turns are queued on this thread: let them run before the write, rather than behind it.
        return PersistAsync(behindQueuedWork: started);
    }

    /// <summary>
    /// Writes the state, joining a write that has not started yet (group commit). With <paramref name="behindQueuedWork"/>,
    /// a write started now first lets the work this thread has queued run (<see cref="BehindQueuedWork"/>).
    /// </summary>
    private Task PersistAsync(bool behindQueuedWork = false)
    {
        var target = ++_changes;
        if (_writing is not null)
        {
            return PersistBehindAsync(target);
        }

        // A write started now covers every change made before it takes the state, this one included.
        return StartWrite(behindQueuedWork);
    }

    /// <summary>Starts a write and marks it as the one running, unless it has completed already.</summary>
    private Task StartWrite(bool behindQueuedWork)
    {
        var write = WriteNowAsync(behindQueuedWork);
        _writing = write.IsCompleted ? null : write;
        return write;
    }

    /// <summary>Waits for the write that is running, then writes what it did not cover (unless a later write did).</summary>
    private async Task PersistBehindAsync(long target)
    {
        while (_saved < target)
        {
            // The running write clears the field itself as it ends (WriteNowAsync), so the loop then finds it empty or
            // holding a later write.
            if (_writing is { } running)
            {
                await running;
                continue;
            }

            // Awaited here, not only through the field: a write that failed at once must end this loop with its exception.
            await StartWrite(behindQueuedWork: false);
        }
    }

    private async Task WriteNowAsync(bool behindQueuedWork)
    {
        try
        {
            if (behindQueuedWork)
            {
                await new BehindQueuedWork();
            }

            var covers = _changes;
            _behindSince = null;
            var now = time.GetUtcNow();
            _engine.Trim(now);
            _engine.StampDue(now, recovery.Value.Grace);
            DecisionRecord[] decisions = [.. state.State.Decisions];
            try
            {
                await state.WriteStateAsync();
                _saved = Math.Max(_saved, covers);
                _written = state.State.Decisions.Park(decisions);
                ScheduleWakeUp(state.State.WakeAt, now);
                ScheduleArchive();
            }
            catch (Exception exception)
            {
                // Memory now holds changes storage refused; reload from storage on the next call rather than diverge.
                logger.LogWarning(exception, "Goal {GoalId} could not write its state; it reloads it from storage on its next call", GoalId);
                _diverged = true;
                DeactivateOnIdle();
                throw;
            }
        }
        finally
        {
            // Only one write runs at a time, so the write in progress is this one (or, had it completed at once, none yet).
            _writing = null;
        }
    }

    /// <summary>Marks the state changed and makes sure it is written within <see cref="GoalEngineOptions.OutcomeWriteDelay"/>.</summary>
    private void WriteBehind(DateTimeOffset now)
    {
        _changes++;

        // The outcome started an effect's horizon: arm its wake-up now, not at the write (the horizon may be shorter).
        ScheduleWakeUp(_engine.NextTimeChange(now), now);
        _behindSince ??= Stopwatch.GetTimestamp();
        if (_outcomeTimer is null)
        {
            ArmWriteBehind(options.Value.OutcomeWriteDelay);
        }
    }

    private void ArmWriteBehind(TimeSpan due)
    {
        _outcomeTimer = OneShot(() =>
        {
            _outcomeTimer = null;
            return FlushBehindAsync();
        }, due);
    }

    private async Task FlushBehindAsync()
    {
        if (_behindSince is not { } since || _diverged)
        {
            return;
        }

        // A write since the timer was armed took what waited then; wait out the age of what waits now.
        var age = Stopwatch.GetElapsedTime(since);
        if (age < options.Value.OutcomeWriteDelay)
        {
            ArmWriteBehind(options.Value.OutcomeWriteDelay - age);
            return;
        }

        if (_changes > _saved)
        {
            try
            {
                await PersistAsync();
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Goal {GoalId} could not write its recorded outcomes", GoalId);
            }
        }
    }

    /// <summary>
    /// Moves written decisions to the history: at once when many wait, else within
    /// <see cref="GoalEngineOptions.HistoryWriteDelay"/>, so a busy goal writes its history once per many decisions.
    /// </summary>
    private void ScheduleArchive()
    {
        if ((_written.Length == 0 && state.State.Decisions.Parked.Count == 0) || state.State.Decisions.Held == 0)
        {
            return;
        }

        // One history write at a time is enough: while one runs, the timer takes whatever waits after it.
        if (state.State.Decisions.Held >= options.Value.HistoryWriteBatch && _historyLane.IsCompleted)
        {
            _ = ArchiveAsync();
            return;
        }

        _historyTimer ??= OneShot(() =>
        {
            _historyTimer = null;
            return ArchiveAsync();
        }, options.Value.HistoryWriteDelay);
    }

    /// <summary>A timer that fires once and disposes itself, so an idle goal holds no timer for writes it no longer owes.</summary>
    private IGrainTimer OneShot(Func<Task> callback, TimeSpan due)
    {
        IGrainTimer? timer = null;
        timer = this.RegisterGrainTimer(
            _ =>
            {
                timer?.Dispose();
                return callback();
            },
            new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = true });
        return timer;
    }

    /// <summary>Moves written decisions to the history behind any history step already running.</summary>
    private Task ArchiveAsync() => InHistoryLane(ArchiveNowAsync);

    private async Task<bool> ArchiveNowAsync()
    {
        try
        {
            var batch = _engine.ArchiveDecisions(_written);
            if (batch.IsEmpty)
            {
                return false;
            }

            // A full batch (a busy goal's) is a new page, written without reading anything back; a small one joins the
            // newest page while it has room.
            var pages = await PagesAsync();
            var count = batch.Records.Length + batch.Parked;
            var place = pages.Place(count, Math.Max(1, options.Value.HistoryWriteBatch));
            var page = place.Appends ? await DecisionHistoryStorage.ReadAsync(HistoryStorage, this.GetGrainId(), place.Slot) : null;
            if (page?.State.Page != place.Number)
            {
                // A new page goes over whatever the slot held.
                page = new StoredHistory
                {
                    ETag = page?.ETag ?? pages.ETagOf(place.Slot),
                    State = new DecisionHistoryState { Page = place.Number, Decisions = new DecisionArchive(count) },
                };
            }

            page.State.Decisions.Merge(batch, state.State.Decisions, int.MaxValue);
            await DecisionHistoryStorage.WriteAsync(HistoryStorage, this.GetGrainId(), place.Slot, page);
            pages.Wrote(place.Slot, page.ETag, page.State, options.Value.DecisionHistory);

            // The state drops them in memory; its next write saves that (a reload before then archives them again, and a
            // view merges the two copies by sequence number). Nor does the list of written decisions keep them alive: only
            // those still in the state may move later.
            _engine.DecisionsArchived(batch);
            _written = Array.FindAll(_written, w => !DecisionMerge.HoldsSame(batch.Records, w));
            if (pages.LegacyLetGo)
            {
                await ClearLegacyHistoryAsync(pages);
            }

            return true;
        }
        catch (Exception exception)
        {
            // They stay in the state, which is durable, and move with a later attempt, which reads the pages again.
            _pages = null;
            logger.LogWarning(exception, "Goal {GoalId} could not write its decision history", GoalId);
            return false;
        }
    }

    /// <summary>Clears the history stored before pages once newer pages hold the history's length.</summary>
    private async Task ClearLegacyHistoryAsync(DecisionPageIndex pages)
    {
        try
        {
            await DecisionHistoryStorage.ClearAsync(HistoryStorage, this.GetGrainId(), DecisionPage.LegacySlot, pages.ETagOf(DecisionPage.LegacySlot));
        }
        catch (Exception exception)
        {
            // Harmless: the next activation finds it, lets it go again and tries again.
            logger.LogWarning(exception, "Goal {GoalId} could not clear its decision history stored before pages", GoalId);
        }
        finally
        {
            pages.ForgetLegacy();
        }
    }

    private IGrainStorage HistoryStorage => services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Goals);

    private async Task<DecisionPageIndex> PagesAsync() =>
        _pages ??= await DecisionHistoryStorage.LoadIndexAsync(HistoryStorage, this.GetGrainId(), options.Value.DecisionHistory);

    /// <summary>The decisions of <paramref name="page"/>; null when its slot no longer holds it.</summary>
    private async Task<DecisionArchive?> ReadPageAsync(DecisionPage page)
    {
        var stored = await DecisionHistoryStorage.ReadAsync(HistoryStorage, this.GetGrainId(), page.Slot);
        return stored.RecordExists && stored.State.Page == page.Number ? stored.State.Decisions : null;
    }

    /// <summary>
    /// The newest <paramref name="limit"/> decisions of the history (at most its length), from as few pages as hold them:
    /// newest decision first, until every page left holds only older decisions than the <paramref name="limit"/>-th newest.
    /// </summary>
    private async Task<DecisionArchive> ReadArchivedAsync(int limit)
    {
        var wanted = Math.Clamp(limit, 0, options.Value.DecisionHistory);
        var merged = new DecisionArchive();
        foreach (var page in (await PagesAsync()).NewestFirst().ToArray())
        {
            if (wanted == 0 || (merged.Count >= wanted && page.NewestSeq < merged.NthNewestSeq(wanted)))
            {
                break;
            }

            if (await ReadPageAsync(page) is { } decisions)
            {
                merged.MergeFrom(decisions);
            }
        }

        return merged;
    }

    /// <summary>The newest decision of the history, as its newest page holds it; null when the history is empty.</summary>
    private async Task<DecisionRecord?> ReadNewestArchivedAsync() =>
        (await PagesAsync()).Newest() is { } page && await ReadPageAsync(page) is { } decisions
            ? decisions.Find(page.NewestSeq)
            : null;

    /// <summary>Decision <paramref name="seq"/> as the history holds it (from the newest page that does); null when it does not.</summary>
    private async Task<DecisionRecord?> FindArchivedAsync(long seq)
    {
        foreach (var page in (await PagesAsync()).Covering(seq).ToArray())
        {
            if (await ReadPageAsync(page) is { } decisions && decisions.Find(seq) is { } record)
            {
                return record;
            }
        }

        return null;
    }

    /// <summary>Runs <paramref name="step"/> (a read of the history, or an archive's page write) once the steps before it are done.</summary>
    private Task<T> InHistoryLane<T>(Func<Task<T>> step)
    {
        _historySteps++;
        var run = AfterAsync(_historyLane, step);
        _historyLane = run.IsCompleted ? Task.CompletedTask : run;
        return run;
    }

    private async Task<T> AfterAsync<T>(Task previous, Func<Task<T>> step)
    {
        try
        {
            // A failed step was its own caller's to see; the next one only waits its turn.
            await previous.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
            return await step();
        }
        finally
        {
            // The last step of a quiet goal's lane: hold no finished task (and its state machine) until the next one.
            if (--_historySteps == 0)
            {
                _historyLane = Task.CompletedTask;
            }
        }
    }

    /// <summary>
    /// Asks the silo's scheduler (<see cref="GoalWakeUps"/>) to wake the goal at the next moment time alone changes what it
    /// sees (a rolling window or an effect horizon), so it re-decides then instead of waiting for an observation that may
    /// never come. No polling.
    /// </summary>
    private void ScheduleWakeUp()
    {
        var now = time.GetUtcNow();
        ScheduleWakeUp(_engine.NextTimeChange(now), now);
    }

    /// <summary>
    /// <see cref="ScheduleWakeUp()"/> for a next time change just computed at <paramref name="now"/> (a write stamps it
    /// in the state; an outcome fed back computes it from the outcome's moment).
    /// </summary>
    private void ScheduleWakeUp(DateTimeOffset? next, DateTimeOffset now)
    {
        // Only an earlier moment replaces the wake-up asked for. One for a later moment, or for one that no longer matters
        // (an effect that showed, or that a write trimmed once expired), comes early, re-decides and asks again: far cheaper
        // than changing it on every loop, as each completed action moves its effect's horizon.
        // One already past due was taken for delivery; should that call be lost, a new ticket keeps the goal's clock going.
        if (next is { } at && (_wakeUp is not { } armed || at + WakeUpMargin < armed.At || armed.At < now))
        {
            _wakeUp = _wakeUp is { } earlier
                ? wakeUps.Move(earlier, at + WakeUpMargin)
                : wakeUps.Schedule(this.GetGrainId(), at + WakeUpMargin);
        }

        // A far wake-up (a daily limit rolling over) must survive the goal being deactivated while idle, so it is also kept
        // in a reminder. Reminders are costly to change, so one is only (re)registered when the wake-up is earlier than
        // the one registered; a reminder that fires early or needlessly just re-evaluates and sorts itself out.
        if (next is { } far && far - now > ReminderThreshold && (_reminderAt is not { } registered || far < registered - ReminderThreshold))
        {
            _reminderAt = far;
            ChangeReminder(far - now);
        }
    }

    /// <summary>Queues a reminder change behind the previous one, so two changes never race on the reminder's ETag.</summary>
    private void ChangeReminder(TimeSpan? due)
    {
        _reminderChanges++;
        var change = ChangeReminderAfterAsync(_reminderChange, due);
        _reminderChange = change.IsCompleted ? Task.CompletedTask : change;
    }

    private async Task ChangeReminderAfterAsync(Task previous, TimeSpan? due)
    {
        try
        {
            await previous;
            if (due is { } wait)
            {
                await this.RegisterOrUpdateReminder(WakeUpReminder, wait, TimeSpan.FromHours(1));
            }
            else if (await this.GetReminder(WakeUpReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception exception)
        {
            _reminderAt = null;
            logger.LogWarning(exception, "Goal {GoalId} could not change its wake-up reminder", GoalId);
        }
        finally
        {
            // As with the history: once the last queued change is done, the goal holds no finished task for it.
            if (--_reminderChanges == 0)
            {
                _reminderChange = Task.CompletedTask;
            }
        }
    }

    /// <inheritdoc />
    public Task EnsureActiveAsync()
    {
        // The silos' recovery found the stored due moment passed. If a write now would store another one (the wake-up it
        // stood for was taken without a write, or is queued since this activation), write it, or the recovery would find
        // the goal due at every look. A call still in flight keeps its moment, so a slow call causes no write.
        var now = time.GetUtcNow();
        return state.State.DueAt <= now && _engine.DueFrom(now, recovery.Value.Grace) != state.State.DueAt && !_diverged
            ? PersistAsync()
            : Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WakeUpAsync(DateTimeOffset at)
    {
        if (_wakeUp?.At != at)
        {
            // Replaced by an earlier wake-up since, or asked for by an earlier activation.
            return Task.CompletedTask;
        }

        _wakeUp = null;
        return WakeUpNowAsync();
    }

    private async Task WakeUpNowAsync()
    {
        if (_engine.IsActive)
        {
            var now = time.GetUtcNow();
            await DecideAndActAsync(new Observation { Id = $"clock/{now.UtcTicks}", Kind = "goal.clock", Time = now });
        }

        ScheduleWakeUp();
    }

    /// <summary>
    /// Subscribes the goal to the topics its definition lists and unsubscribes it from <paramref name="dropped"/>. Both are
    /// idempotent (no write when nothing changes), so repeating them after a crash in between is harmless.
    /// </summary>
    private async Task SyncTopicsAsync(IEnumerable<string> dropped)
    {
        var wanted = _engine.IsActive ? state.State.Definition!.Topics : [];
        foreach (var topic in dropped.Except(wanted, StringComparer.Ordinal))
        {
            await TopicSubscribers.For(GrainFactory, topic, GoalId).UnsubscribeAsync(GoalId);
        }

        foreach (var topic in wanted)
        {
            await TopicSubscribers.For(GrainFactory, topic, GoalId).SubscribeAsync(GoalId);
        }
    }

    private static GoalDefinition Normalize(GoalDefinition definition) => definition with
    {
        Kind = string.IsNullOrWhiteSpace(definition.Kind) ? "generic" : definition.Kind,
        Objectives = definition.Objectives ?? [],
        Metrics = definition.Metrics ?? [],
        Topics = definition.Topics ?? [],
        AllowedFunctions = definition.AllowedFunctions ?? [],
    };
}

/// <summary>An audit entry waiting for its goal's write: its payload, and the sensitive paths in force when it was queued.</summary>
internal readonly record struct QueuedAudit(string Kind, DateTimeOffset At, object Payload, string[]? Sensitive);

/// <summary>An action to start: the call, when its triggering observation arrived, and the loop span it belongs to.</summary>
internal readonly record struct ActionStart(ActionRequest Request, long ArrivedAt, ActivityContext Loop);
