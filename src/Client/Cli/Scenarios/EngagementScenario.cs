using System.Text.Json;
using Mdl.Client;
using Mdl.Decisions;
using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Cli;

/// <summary>
/// The engagement tour: define "keep user #55 engaged without spamming", report a low engagement score, watch the goal
/// act on its own (and act again on its own results until the projected score meets the target), then report high scores
/// and show that it stops.
/// </summary>
internal sealed class EngagementScenario(CliSession session, MdlClient mdl, string goalId, TimeProvider time)
{
    /// <summary>The scenario's name.</summary>
    public const string Name = "engagement";

    /// <summary>The goal the scenario drives unless told otherwise.</summary>
    public const string DefaultGoalId = "user-55";

    private const string ScoreMetric = "engagement.score";
    private const double LowScore = 0.3;
    private const double HighScore = 0.9;
    private const int HighScores = 3;
    private const int MaxShown = 10;

    // How long the scenario waits for the goal to act, or to settle (no action in flight); it never waits unbounded.
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _out = session.Json ? TextWriter.Null : session.Out;

    /// <summary>The DESIGN §5 definition of user #55's goal, with the user id in its context for the functions.</summary>
    public static GoalDefinition Definition(string userId) => new()
    {
        Kind = "engagement",
        Description = $"Keep user #{userId} engaged without spamming",
        Objectives =
        [
            new ObjectiveDefinition { Metric = ScoreMetric, Op = ">=", Target = 0.6, Weight = 1.0 },
            new ObjectiveDefinition { Metric = "notifications.today", Op = "<=", Target = 3, Weight = 0.5 },
        ],
        Metrics =
        [
            new MetricMapping { Name = ScoreMetric, From = "user.activity", Field = "score", Aggregate = "ewma" },
            new MetricMapping { Name = "notifications.today", From = ObservationKinds.ActionResult, Function = "notify.push", Aggregate = "count", Window = "P1D" },
        ],
        Topics = ["catalog.updates"],
        AllowedFunctions = ["recommend.items", "notify.push"],
        Budget = new GoalBudget { PerDay = 1.0 },
        DeadlineMs = 500,
        MaxInFlight = 2,
        Context = JsonSerializer.SerializeToElement(new { userId }, MdlJson.Options),
    };

    /// <summary>Runs the tour; exit 2 when the goal makes no decision within the wait bound.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var defined = await mdl.PutGoalAsync(goalId, Definition("55"), ct);
        _out.WriteLine($"1. defined goal '{goalId}' (version {defined.Version}): {ScoreMetric} >= 0.6, notifications.today <= 3; may call recommend.items, notify.push");

        // A re-run finds the goal's metrics from before; let anything the new definition set off finish first.
        var settled = await SettleAsync(ct);

        // The score is a moving average: report low scores until the goal sees the objective violated (once, on a fresh goal).
        var beforeLow = settled.DecisionsMade;
        var goal = settled;
        for (var i = 0; i < 5 && (i == 0 || Objective(goal).Satisfied); i++)
        {
            await ObserveScoreAsync(LowScore, ct);
            goal = await GetAsync(ct);
        }

        _out.WriteLine($"2. observed user.activity score={Text.Number(LowScore)} -> {ScoreMetric}={Text.Number(Objective(goal).Value)}, target >= 0.6: violated, the goal decides on its own");

        var acted = await WaitAsync(g => g.DecisionsMade > beforeLow, ct)
            ?? throw new CliException(ExitCodes.NotFound, $"goal '{goalId}' made no decision within {WaitBound.TotalSeconds:0} s of a low score");
        var actedDecisions = await DecisionsSinceAsync(beforeLow, ct);
        _out.WriteLine($"3. the goal made {actedDecisions.Length} decision(s), {actedDecisions.Count(d => d.Chosen is not null)} of them actions (each outcome fed back as an observation):");
        if (actedDecisions.Length > MaxShown)
        {
            _out.WriteLine($"   (the last {MaxShown}; 'mdl decisions {goalId}' lists more)");
        }

        Text.WriteDecisions(_out, actedDecisions[^Math.Min(MaxShown, actedDecisions.Length)..], "   ");
        _out.WriteLine("   goal now:");
        var indented = new IndentedWriter(_out, "   ");
        Text.WriteGoal(indented, acted);

        var beforeHigh = acted.DecisionsMade;
        var lastActions = 0;
        for (var i = 1; i <= HighScores; i++)
        {
            var before = goal = await SettleAsync(ct);
            await ObserveScoreAsync(HighScore, ct);
            goal = await SettleAsync(ct);
            var made = await DecisionsSinceAsync(before.DecisionsMade, ct);
            lastActions = made.Count(d => d.Chosen is not null);
            var response = made.Length == 0
                ? "no decision"
                : string.Join(", ", made.Select(d => d.Chosen ?? "no action"));
            _out.WriteLine($"{3 + i}. observed user.activity score={Text.Number(HighScore)} -> {ScoreMetric}={Text.Number(Objective(goal).Value)} ({(Objective(goal).Satisfied ? "satisfied" : "violated")}): {response}");
        }

        var stopped = Objective(goal).Satisfied && lastActions == 0;
        _out.WriteLine(stopped
            ? $"{4 + HighScores}. the goal stopped acting: {ScoreMetric} meets its target, so a new score triggers no action ({goal.ActionsTaken} actions in total)"
            : $"{4 + HighScores}. the goal is still acting: {ScoreMetric}={Text.Number(Objective(goal).Value)}");

        if (session.Json)
        {
            session.WriteJson(new
            {
                goalId,
                acted = actedDecisions,
                afterHighScores = await DecisionsSinceAsync(beforeHigh, ct),
                stoppedActing = stopped,
                goal,
            });
        }

        return ExitCodes.Ok;
    }

    private static ObjectiveStatus Objective(GoalSnapshot goal) =>
        goal.Objectives.FirstOrDefault(o => o.Metric == ScoreMetric) ?? new ObjectiveStatus { Metric = ScoreMetric };

    private Task ObserveScoreAsync(double score, CancellationToken ct) =>
        mdl.ObserveAsync(goalId, [new Observation("user.activity", new { score }, "mdl-scenario")], ct);

    private async Task<GoalSnapshot> GetAsync(CancellationToken ct) =>
        await mdl.GetGoalAsync(goalId, ct) ?? throw CliException.GoalNotFound(goalId);

    /// <summary>Waits (bounded) until no action is in flight, and returns the goal then.</summary>
    private async Task<GoalSnapshot> SettleAsync(CancellationToken ct) =>
        await WaitAsync(_ => true, ct) ?? await GetAsync(ct);

    /// <summary>Polls the goal until <paramref name="condition"/> holds with nothing in flight; null after the wait bound.</summary>
    private async Task<GoalSnapshot?> WaitAsync(Func<GoalSnapshot, bool> condition, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            var goal = await GetAsync(ct);
            if (goal.InFlight.Length == 0 && condition(goal))
            {
                return goal;
            }

            if (time.GetElapsedTime(started) >= WaitBound)
            {
                return null;
            }

            await Task.Delay(PollInterval, time, ct);
        }
    }

    private async Task<DecisionRecord[]> DecisionsSinceAsync(long seq, CancellationToken ct) =>
        [.. (await mdl.GetDecisionsAsync(goalId, 100, ct)).Where(d => d.Seq > seq).OrderBy(d => d.Seq)];

    /// <summary>Prefixes every line written through it.</summary>
    private sealed class IndentedWriter(TextWriter inner, string indent) : TextWriter
    {
        private bool _lineStart = true;

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (_lineStart && value != '\n')
            {
                inner.Write(indent);
            }

            inner.Write(value);
            _lineStart = value == '\n';
        }
    }
}
