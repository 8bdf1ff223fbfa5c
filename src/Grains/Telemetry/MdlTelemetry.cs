using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mdl.Telemetry;

/// <summary>
/// The loop's traces and metrics: one <c>mdl.loop</c> span per observation with <c>mdl.observe</c>, <c>mdl.orient</c>,
/// <c>mdl.decide</c> and <c>mdl.act</c> children, and the <c>Mdl</c> meter's instruments. Both are named <see cref="Name"/>.
/// </summary>
public static class MdlTelemetry
{
    /// <summary>The ActivitySource and Meter name to subscribe to.</summary>
    public const string Name = "Mdl";

    /// <summary>The loop's spans.</summary>
    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The loop's instruments.</summary>
    public static Meter Meter { get; } = new(Name);

    /// <summary>
    /// Bucket bounds of the duration histograms, in milliseconds. A loop's stages take microseconds and a whole loop well
    /// under a millisecond, while a function may take seconds: OpenTelemetry's default bounds start at 5 ms, which would
    /// put every stage in the first bucket. Advice only: an exporter's view still overrides it.
    /// </summary>
    public static IReadOnlyList<double> DurationBucketsMs { get; } =
        [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000];

    /// <summary>Duration of each stage (tag <c>mdl.stage</c>: observe, orient, decide, act), in milliseconds.</summary>
    public static Histogram<double> StageDuration { get; } =
        Meter.CreateHistogram("mdl.stage.duration", "ms", "Duration of one loop stage",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBucketsMs });

    /// <summary>From an observation's arrival to the outcome of the action it caused, in milliseconds.</summary>
    public static Histogram<double> ObserveToAct { get; } =
        Meter.CreateHistogram("mdl.observe_to_act", "ms", "Observation arrival to the chosen function's outcome",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBucketsMs });

    /// <summary>Observations by result (tag <c>mdl.result</c>: relevant, irrelevant, duplicate).</summary>
    public static Counter<long> Observations { get; } =
        Meter.CreateCounter<long>("mdl.observations", "{observation}", "Observations received by goals");

    /// <summary>Decisions recorded (tag <c>mdl.decision</c>: act, no-action).</summary>
    public static Counter<long> Decisions { get; } =
        Meter.CreateCounter<long>("mdl.decisions", "{decision}", "Decide steps recorded");

    /// <summary>Actions by function and outcome (tags <c>mdl.function</c>, <c>mdl.outcome</c>).</summary>
    public static Counter<long> Actions { get; } =
        Meter.CreateCounter<long>("mdl.actions", "{action}", "Function calls by outcome");

    /// <summary>Declared cost of the calls made (tag <c>mdl.function</c>).</summary>
    public static Counter<double> Spend { get; } =
        Meter.CreateCounter<double>("mdl.spend", "{cost}", "Declared cost of function calls");

    /// <summary>
    /// Calls in flight when their goal last stopped, re-issued when it came back (tags <c>mdl.function</c>,
    /// <c>mdl.answer</c>: <c>recorded</c> when the result its worker recorded answers it, <c>function</c> when the
    /// function is called again). Each one means a silo stopped or died with the call out.
    /// </summary>
    public static Counter<long> CallsReissued { get; } =
        Meter.CreateCounter<long>("mdl.calls.reissued", "{call}", "Calls in flight when their goal stopped, re-issued when it came back");

    private static long _activeGoals;
    private static long _inFlight;

    static MdlTelemetry()
    {
        Meter.CreateObservableGauge("mdl.goals.active", () => Interlocked.Read(ref _activeGoals), "{goal}", "Goal activations in this process");
        Meter.CreateObservableGauge("mdl.actions.in_flight", () => Interlocked.Read(ref _inFlight), "{action}", "Function calls awaiting their outcome in this process");
    }

    /// <summary>A goal activation started (+1) or ended (−1).</summary>
    public static void GoalActivated(int delta) => Interlocked.Add(ref _activeGoals, delta);

    /// <summary>An action started (+1) or finished (−1).</summary>
    public static void ActionInFlight(int delta) => Interlocked.Add(ref _inFlight, delta);

    /// <summary>
    /// The moment a stage starts, for <see cref="StageTook"/>: a <see cref="Stopwatch"/> timestamp while something records
    /// stage durations, else 0 without reading the clock. A loop has a dozen stages, and each timing read the clock twice
    /// for a histogram nobody listened to.
    /// </summary>
    public static long StageStarted() => StageDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records a stage's duration since <paramref name="startedAt"/> (from <see cref="StageStarted"/>; 0 records nothing).</summary>
    public static void StageTook(string stage, long startedAt)
    {
        if (startedAt != 0)
        {
            StageTook(stage, Stopwatch.GetElapsedTime(startedAt));
        }
    }

    /// <summary>Records a stage's duration measured already.</summary>
    public static void StageTook(string stage, TimeSpan took) =>
        StageDuration.Record(took.TotalMilliseconds, new KeyValuePair<string, object?>("mdl.stage", stage));

    /// <summary>
    /// The moment an observation arrived, for <see cref="ActionCompleted"/>: a <see cref="Stopwatch"/> timestamp while
    /// something records <see cref="ObserveToAct"/>, else 0 without reading the clock.
    /// </summary>
    public static long ObservationArrived() => ObserveToAct.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records the time from an observation's arrival (<see cref="ObservationArrived"/>; 0 records nothing) to its action's outcome.</summary>
    public static void ActionCompleted(long arrivedAt, KeyValuePair<string, object?> function)
    {
        if (arrivedAt != 0)
        {
            ObserveToAct.Record(Stopwatch.GetElapsedTime(arrivedAt).TotalMilliseconds, function);
        }
    }

    /// <summary>Span and tag names.</summary>
    public static class Tags
    {
        /// <summary>The goal's id.</summary>
        public const string GoalId = "mdl.goal_id";

        /// <summary>The observation's kind.</summary>
        public const string ObservationKind = "mdl.observation.kind";

        /// <summary>What became of the observation.</summary>
        public const string Result = "mdl.result";

        /// <summary>How many candidates Decide weighed.</summary>
        public const string Candidates = "mdl.candidates";

        /// <summary>The function chosen.</summary>
        public const string Chosen = "mdl.chosen";

        /// <summary>The chosen function's utility.</summary>
        public const string Utility = "mdl.utility";

        /// <summary>A function's name.</summary>
        public const string Function = "mdl.function";

        /// <summary>An action's outcome.</summary>
        public const string Outcome = "mdl.outcome";

        /// <summary>A decision's sequence number.</summary>
        public const string DecisionSeq = "mdl.decision_seq";

        /// <summary>What answers a re-issued call: <c>recorded</c> or <c>function</c>.</summary>
        public const string Answer = "mdl.answer";
    }
}
