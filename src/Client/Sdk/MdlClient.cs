using System.Runtime.CompilerServices;
using Mdl.Audit;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Topics;

namespace Mdl.Client;

/// <summary>A typed wrapper over an Orleans client: goals, observations, topics, decisions, functions and audit chains.</summary>
/// <remarks>
/// Grain calls carry no cancellation token of their own, so <see cref="CancellationToken"/>s here stop the caller waiting;
/// a call already sent may still complete on the cluster.
/// </remarks>
public sealed class MdlClient
{
    /// <summary>How often a decision watch renews its subscription; goals forget watchers not renewed within a minute.</summary>
    public static readonly TimeSpan WatchRenewalInterval = TimeSpan.FromSeconds(20);

    private readonly IGrainFactory _grains;
    private readonly GrainReferences<IGoalGrain> _goals;
    private readonly GrainReferences<ITopicGrain> _topics;
    private readonly TimeProvider _time;

    /// <summary>Creates a client over <paramref name="grains"/> (an <see cref="IClusterClient"/>, or a silo's grain factory).</summary>
    public MdlClient(IGrainFactory grains)
        : this(grains, TimeProvider.System)
    {
    }

    /// <summary>Creates a client over <paramref name="grains"/> that times watch renewals with <paramref name="time"/>.</summary>
    public MdlClient(IGrainFactory grains, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(time);
        _grains = grains;
        _goals = new(grains);
        _topics = new(grains);
        _time = time;
    }

    /// <summary>Creates or replaces a goal's definition; throws <see cref="GoalDefinitionException"/> and changes nothing when it is invalid.</summary>
    public Task<GoalSnapshot> PutGoalAsync(string goalId, GoalDefinition definition, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Goal(goalId).PutDefinitionAsync(definition).WaitAsync(ct);
    }

    /// <summary>Returns a goal's snapshot, or null when it was never defined.</summary>
    public Task<GoalSnapshot?> GetGoalAsync(string goalId, CancellationToken ct = default) =>
        Goal(goalId).GetSnapshotAsync().WaitAsync(ct);

    /// <summary>Stops a goal observing and acting (its history remains); false when it was never defined.</summary>
    public Task<bool> DeleteGoalAsync(string goalId, CancellationToken ct = default) =>
        Goal(goalId).DeleteAsync().WaitAsync(ct);

    /// <summary>Stops a goal acting while it keeps observing; null when it was never defined.</summary>
    public Task<GoalSnapshot?> PauseGoalAsync(string goalId, CancellationToken ct = default) =>
        Goal(goalId).PauseAsync().WaitAsync(ct);

    /// <summary>Lets a paused goal act again; null when it was never defined.</summary>
    public Task<GoalSnapshot?> ResumeGoalAsync(string goalId, CancellationToken ct = default) =>
        Goal(goalId).ResumeAsync().WaitAsync(ct);

    /// <summary>Every goal ever defined with its status, ordered by id.</summary>
    public Task<GoalListing[]> ListGoalsAsync(CancellationToken ct = default) =>
        GoalRegistry.ListAsync(_grains).WaitAsync(ct);

    /// <summary>Sends observations straight to a goal; returns once they are durably accepted.</summary>
    public Task<ObserveReceipt> ObserveAsync(string goalId, params Observation[] observations) =>
        ObserveAsync(goalId, observations, CancellationToken.None);

    /// <summary>Sends observations straight to a goal; returns once they are durably accepted. Throws <see cref="GoalNotFoundException"/> for an undefined or deleted goal.</summary>
    public Task<ObserveReceipt> ObserveAsync(string goalId, Observation[] observations, CancellationToken ct)
    {
        var goal = Goal(goalId);
        CheckObservations(observations);
        return observations.Length == 0 ? Task.FromResult(ObserveReceipt.None) : goal.ObserveAsync(observations).WaitAsync(ct);
    }

    /// <summary>Publishes observations to a topic, reaching every goal subscribed to it; returns how many were handed to the stream.</summary>
    public Task<int> PublishAsync(string topic, params Observation[] observations) =>
        PublishAsync(topic, observations, CancellationToken.None);

    /// <summary>Publishes observations to a topic, reaching every goal subscribed to it; returns how many were handed to the stream.</summary>
    public Task<int> PublishAsync(string topic, Observation[] observations, CancellationToken ct)
    {
        RequireKey(topic, nameof(topic));
        CheckObservations(observations);
        return observations.Length == 0 ? Task.FromResult(0) : _topics.For(topic).PublishAsync(observations).WaitAsync(ct);
    }

    /// <summary>Up to <paramref name="limit"/> of a goal's decisions, newest first (empty for a goal never defined).</summary>
    public Task<DecisionRecord[]> GetDecisionsAsync(string goalId, int limit = 50, CancellationToken ct = default)
    {
        var goal = Goal(goalId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return goal.GetDecisionsAsync(limit).WaitAsync(ct);
    }

    /// <summary>Subscribes to a goal's decisions; the returned watch is live once the task completes. Dispose it to unsubscribe.</summary>
    public async Task<DecisionWatch> WatchAsync(string goalId, CancellationToken ct = default)
    {
        var watch = new DecisionWatch(goalId, Goal(goalId), _grains, _time);
        try
        {
            await watch.StartAsync(ct);
            return watch;
        }
        catch
        {
            await watch.DisposeAsync();
            throw;
        }
    }

    /// <summary>Streams a goal's decisions as they are made, and again when each one's outcome arrives, until <paramref name="ct"/> is cancelled.</summary>
    /// <remarks>Subscribes when enumeration starts; use <see cref="WatchAsync"/> to know when the subscription is in place.</remarks>
    public async IAsyncEnumerable<DecisionRecord> WatchDecisionsAsync(string goalId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var watch = await WatchAsync(goalId, ct);
        await foreach (var decision in watch.ReadAllAsync(ct))
        {
            yield return decision;
        }
    }

    /// <summary>Every function the cluster offers, ordered by name, with live statistics.</summary>
    public Task<FunctionInfo[]> ListFunctionsAsync(CancellationToken ct = default) =>
        _grains.GetGrain<IFunctionCatalogGrain>(0).ListAsync().WaitAsync(ct);

    /// <summary>Up to <paramref name="limit"/> (1–1000) entries of a goal's audit chain numbered above <paramref name="afterSeq"/>, oldest first.</summary>
    public Task<AuditEntry[]> ReadAuditAsync(string goalId, long afterSeq = 0, int limit = 100, CancellationToken ct = default)
    {
        RequireKey(goalId, nameof(goalId));
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, IAuditGrain.MaxPageSize);
        return Audit().ReadAsync(goalId, afterSeq, limit).WaitAsync(ct);
    }

    /// <summary>
    /// Reads a goal's whole audit chain, page by page, and recomputes it here: intact, or the first broken entry and why.
    /// An empty chain (a goal never defined, or not yet audited) is intact with 0 entries.
    /// </summary>
    /// <remarks>The check runs in the client, so it does not take the silo's word for the chain; it stops reading at the first break.</remarks>
    public async Task<AuditVerification> VerifyAuditAsync(string goalId, CancellationToken ct = default)
    {
        RequireKey(goalId, nameof(goalId));
        var audit = Audit();
        var verifier = new AuditChainVerifier();
        long afterSeq = 0;
        while (true)
        {
            var page = await audit.ReadAsync(goalId, afterSeq, IAuditGrain.MaxPageSize).WaitAsync(ct);
            foreach (var entry in page)
            {
                if (!verifier.Add(entry))
                {
                    return new AuditVerification(goalId, verifier.Count, verifier.Head, verifier.Break);
                }
            }

            if (page.Length < IAuditGrain.MaxPageSize)
            {
                return new AuditVerification(goalId, verifier.Count, verifier.Head, verifier.Break);
            }

            afterSeq = page[^1].Seq;
        }
    }

    private IAuditGrain Audit() => _grains.GetGrain<IAuditGrain>(IAuditGrain.Key);

    private IGoalGrain Goal(string goalId)
    {
        RequireKey(goalId, nameof(goalId));
        return _goals.For(goalId);
    }

    private static void RequireKey(string key, string parameter)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ArgumentException($"{parameter} must not be empty", parameter);
        }
    }

    private static void CheckObservations(Observation[] observations)
    {
        ArgumentNullException.ThrowIfNull(observations);
        for (var i = 0; i < observations.Length; i++)
        {
            if (observations[i] is null)
            {
                throw new ArgumentException($"observations[{i}] is null", nameof(observations));
            }

            if (string.IsNullOrWhiteSpace(observations[i].Kind))
            {
                throw new ArgumentException($"observations[{i}].kind must not be empty", nameof(observations));
            }
        }
    }
}
