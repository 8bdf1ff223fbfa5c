using System.Text.Json;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Metrics;
using Mdl.Storage;

namespace Mdl.Goals;

/// <summary>
/// What a goal writes on every change: its definition, metrics, dedupe window, actions, learning and the decisions not
/// yet moved to its history (<see cref="DecisionHistoryState"/>, stored apart).
/// </summary>
[GenerateSerializer, Alias("mdl.GoalState")]
public sealed class GoalState : IDueState
{
    /// <summary>The definition in force; null until the goal is first defined.</summary>
    [Id(0)] public GoalDefinition? Definition { get; set; }

    /// <summary><see cref="GoalStatus.Active"/> or <see cref="GoalStatus.Deleted"/>.</summary>
    [Id(1)] public string Status { get; set; } = GoalStatus.Active;

    /// <summary>How many times the definition has been put.</summary>
    [Id(2)] public int Version { get; set; }

    /// <summary>Metric name → aggregation state.</summary>
    [Id(3)] public Dictionary<string, MetricState> Metrics { get; set; } = [];

    /// <summary>
    /// Fingerprints of the most recent observations' ids (<see cref="ObservationFingerprint"/>), oldest first: the
    /// dedupe window. Stored as one block of 8 bytes per fingerprint, the same bytes as the <c>byte[]</c> field it was.
    /// </summary>
    [Id(17)] public ObservationWindow RecentObservations { get; set; } = [];

    /// <summary>The dedupe window as states stored it as one block of UTF-8 ids; read, never written.</summary>
    [Id(15)]
    public byte[]? LegacyRecentObservationIdsUtf8
    {
        get => null;
        set
        {
            if (value is { Length: > 0 } && RecentObservations.Count == 0)
            {
                RecentObservations = [.. ObservationIdCodec.Decode(value).ConvertAll(ObservationFingerprint.Of)];
            }
        }
    }

    /// <summary>The dedupe window as states stored it as separate strings; read, never written.</summary>
    [Id(4)]
    public List<string>? LegacyRecentObservationIds
    {
        get => null;
        set
        {
            if (value is { Count: > 0 } && RecentObservations.Count == 0)
            {
                RecentObservations = [.. value.ConvertAll(ObservationFingerprint.Of)];
            }
        }
    }

    /// <summary>
    /// Decisions not yet in the goal's <see cref="DecisionHistoryState"/>, oldest first: a decision is written here, ahead
    /// of its call, and moves to the history with a later, lazy write. Also decisions whose outcome arrived after that.
    /// </summary>
    [Id(16)] public DecisionLog Decisions { get; set; } = [];

    /// <summary>Decisions as states written before <see cref="Decisions"/> was a <see cref="DecisionLog"/> stored them; read, never written.</summary>
    [Id(5)]
    public List<DecisionRecord>? LegacyDecisions
    {
        get => null;
        set
        {
            if (value is { Count: > 0 } && Decisions.Count == 0)
            {
                Decisions = new DecisionLog(value);
            }
        }
    }

    /// <summary>Decisions ever recorded; the next decision's sequence number is this + 1.</summary>
    [Id(6)] public long DecisionsMade { get; set; }

    /// <summary>Actions in flight, and completed ones whose expected effect has not been observed yet.</summary>
    [Id(7)] public List<PendingAction> Actions { get; set; } = [];

    /// <summary>"function|metric" → observed ÷ declared effect, learnt from past outcomes.</summary>
    [Id(8)] public Dictionary<string, double> EffectCorrections { get; set; } = [];

    /// <summary>Spend over a rolling day.</summary>
    [Id(9)] public MetricState Spend { get; set; } = new();

    /// <summary>Spend since the goal was defined.</summary>
    [Id(10)] public double SpendTotal { get; set; }

    /// <summary>Observations processed.</summary>
    [Id(11)] public long ObservationsProcessed { get; set; }

    /// <summary>Observations ignored as duplicates.</summary>
    [Id(12)] public long DuplicatesIgnored { get; set; }

    /// <summary>Functions called.</summary>
    [Id(13)] public long ActionsTaken { get; set; }

    /// <summary>When anything last changed.</summary>
    [Id(14)] public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// The next moment the goal's view changes by time alone, as of its last write (<see cref="GoalEngine.NextTimeChange"/>).
    /// A goal that activates after this moment passed (its silo died, or it was deactivated before a wake-up) re-decides
    /// at once, as the wake-up would have.
    /// </summary>
    [Id(18)] public DateTimeOffset? WakeAt { get; set; }

    /// <summary>
    /// When the goal must be active again, whether or not anything calls it: a grace after <see cref="WakeAt"/>, or when
    /// its calls in flight are overdue (<see cref="GoalEngine.InFlightDueAt"/>), whichever is first. Set before each write
    /// (<see cref="GoalEngine.StampDue"/>) and at activation (<see cref="GoalEngine.RestoreDue"/>). Not part of the
    /// serialised state: storage that keeps a due index stores it in its own column, beside the row.
    /// </summary>
    [field: NonSerialized]
    public DateTimeOffset? DueAt { get; set; }
}

/// <summary>An action that was decided: in flight until its outcome, then awaiting its expected effect.</summary>
[GenerateSerializer, Alias("mdl.PendingAction")]
public sealed class PendingAction
{
    /// <summary>The decision's sequence number.</summary>
    [Id(0)] public long Seq { get; set; }

    /// <summary>The function called.</summary>
    [Id(1)] public string Function { get; set; } = "";

    /// <summary><c>goalId/seq</c>.</summary>
    [Id(2)] public string IdempotencyKey { get; set; } = "";

    /// <summary>When it was decided and called.</summary>
    [Id(3)] public DateTimeOffset StartedAt { get; set; }

    /// <summary>When its outcome came back; null while in flight.</summary>
    [Id(4)] public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Metric → expected change not yet observed (declared × correction).</summary>
    [Id(11)] public MetricValues ExpectedEffects { get; set; } = new();

    /// <summary>Metric → its value when the action was decided (absent when unknown).</summary>
    [Id(12)] public MetricValues Baselines { get; set; } = new();

    /// <summary>The expected effects as states written before <see cref="ExpectedEffects"/> was a <see cref="MetricValues"/> stored them; read, never written.</summary>
    [Id(5)]
    public Dictionary<string, double>? LegacyExpectedEffects
    {
        get => null;
        set
        {
            if (value is { Count: > 0 } && ExpectedEffects.Count == 0)
            {
                ExpectedEffects = new MetricValues(value);
            }
        }
    }

    /// <summary>The baselines as states written before <see cref="Baselines"/> was a <see cref="MetricValues"/> stored them; read, never written.</summary>
    [Id(6)]
    public Dictionary<string, double>? LegacyBaselines
    {
        get => null;
        set
        {
            if (value is { Count: > 0 } && Baselines.Count == 0)
            {
                Baselines = new MetricValues(value);
            }
        }
    }

    /// <summary>The call's arguments, kept so an interrupted call can be re-issued with the same key.</summary>
    [Id(7)] public JsonElement Arguments { get; set; }

    /// <summary>The call's timeout.</summary>
    [Id(8)] public int TimeoutMs { get; set; }

    /// <summary>The permissions the goal held when it decided; the call carries them.</summary>
    [Id(9)] public string[] Grants { get; set; } = [];

    /// <summary>
    /// The function's result, recorded by its worker (for <c>external</c> functions) before it answered: the goal's ledger.
    /// A call re-issued after the goal lost the answer gets this instead of acting twice. Dropped once the outcome is applied.
    /// </summary>
    [Id(10)] public FunctionResult? Result { get; set; }

    /// <summary>Whether the action is still waiting for its outcome.</summary>
    public bool InFlight => CompletedAt is null;
}
