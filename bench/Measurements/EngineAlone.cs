using System.Diagnostics;
using Mdl.Bench.Goals;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Bench.Measurements;

/// <summary>
/// The goal engine alone: what a throughput loop asks of <see cref="GoalEngine"/>, in the order the goal grain asks it,
/// over as many goals, on one thread, with no grain, message, storage, serialisation, telemetry or thread pool. The
/// loop's other parts all depend on the machine's load and on Orleans; this one is the MDL logic's own work, measured
/// steadily enough to see a change to the engine that the loop's CPU figures, which spread by ±15 % between windows,
/// cannot.
/// </summary>
internal static class EngineAlone
{
    /// <summary>What the engine's loops measured.</summary>
    /// <param name="Goals">Goals cycled through, one loop each in turn, as the throughput workers do.</param>
    /// <param name="LoopsPerRound">Loops per measured round.</param>
    /// <param name="MicrosecondsPerLoop">Wall time per loop of the fastest round (the least disturbed by other work on the machine).</param>
    /// <param name="BytesPerLoop">Managed bytes that round allocated per loop.</param>
    public sealed record Figures(int Goals, int LoopsPerRound, double MicrosecondsPerLoop, double BytesPerLoop);

    /// <summary>
    /// Warms the engine up with one round, then measures <paramref name="rounds"/> more. <paramref name="functions"/> is
    /// the silo's own directory, so Orient reads each function's latency and circuit as a goal's does, and
    /// <paramref name="options"/> the silo's own goal options, so a run's <c>--dedupe-window</c> or
    /// <c>--history-write-batch</c> reaches these goals as it reaches the silo's.
    /// </summary>
    public static Figures Measure(IFunctionDirectory functions, GoalEngineOptions options, int goals, int loopsPerRound, int rounds)
    {
        var now = DateTimeOffset.UtcNow;
        var engines = new GoalEngine[goals];
        for (var i = 0; i < goals; i++)
        {
            engines[i] = new GoalEngine($"engine-{i}", new GoalState(), options);
            engines[i].Define(BenchDefinitions.Loop, now);
        }

        var loops = new EngineLoops(engines, functions, options.HistoryWriteBatch, now);
        loops.Run(loopsPerRound);
        var best = double.MaxValue;
        var bytes = 0.0;
        for (var round = 0; round < rounds; round++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            loops.Run(loopsPerRound);
            var perLoop = Stopwatch.GetElapsedTime(started).TotalMicroseconds / loopsPerRound;
            if (perLoop < best)
            {
                best = perLoop;
                bytes = (double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / loopsPerRound;
            }
        }

        return new Figures(goals, loopsPerRound, Math.Round(best, 2), Math.Round(bytes));
    }

    /// <summary>The loops, goal after goal, with the clock moving on a little each loop as it does under load.</summary>
    /// <param name="archiveEvery">How many settled decisions the goal grain moves to the history at a time.</param>
    private sealed class EngineLoops(GoalEngine[] engines, IFunctionDirectory functions, int archiveEvery, DateTimeOffset start)
    {
        private static readonly ActionOutcome Succeeded = new() { Status = OutcomeStatus.Succeeded, DurationMs = 0.1 };

        private readonly long[] _decisions = new long[engines.Length];
        private DateTimeOffset _now = start;
        private long _loop;

        public void Run(int count)
        {
            for (var i = 0; i < count; i++, _loop++)
            {
                var goal = (int)(_loop % engines.Length);
                _now = _now.AddTicks(250); // 25 µs: about a loop's time on this machine
                Loop(engines[goal], goal);
            }
        }

        /// <summary>One loop as <c>GoalGrain</c> drives it: observe two readings, decide on each, act, apply the outcome.</summary>
        private void Loop(GoalEngine engine, int goal)
        {
            // The confirming reading: relevant (the level rises to 1), and Orient finds no gap.
            var confirm = BenchDefinitions.Confirm().WithDefaults(_now);
            Expect(engine.Observe(confirm, _now) == ObserveResult.Relevant, "the confirming reading was not relevant");
            Expect(engine.PrepareDecision(functions, _now) is null, "the confirming reading opened a gap");

            // The low reading: a gap of one action, decided by the scoring policy and committed.
            var trigger = BenchDefinitions.Trigger().WithDefaults(_now);
            Expect(engine.Observe(trigger, _now) == ObserveResult.Relevant, "the low reading was not relevant");
            var context = engine.PrepareDecision(functions, _now) ?? throw new InvalidOperationException("the low reading opened no gap");
            var proposal = ScoringPolicy.Decide(context);
            var (_, action) = engine.CommitDecision(context, proposal, ScoringPolicy.PolicyName, trigger, functions, _now);
            var request = action ?? throw new InvalidOperationException("the low reading's decision did not act");

            // The outcome, fed back as an observation and decided on (the pending effect closes the gap).
            var (_, result) = engine.CompleteAction(request.Seq, Succeeded with { CompletedAt = _now }, _now)
                ?? throw new InvalidOperationException("the call's outcome was refused");
            engine.Observe(result, _now, deduplicate: false);
            Expect(engine.PrepareDecision(functions, _now) is null, "the outcome left a gap");
            engine.Settled(result);

            // What the grain does around its write: trim, and move settled decisions on once a batch of them waits.
            engine.Trim(_now);
            if (++_decisions[goal] % archiveEvery == 0)
            {
                engine.DecisionsArchived(engine.ArchiveDecisions([.. engine.State.Decisions]));
            }
        }

        private static void Expect(bool condition, string otherwise)
        {
            if (!condition)
            {
                throw new InvalidOperationException($"engine loop: {otherwise}");
            }
        }
    }
}
