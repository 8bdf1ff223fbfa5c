using System.Diagnostics;
using Mdl.Bench.Baseline;
using Mdl.Bench.Functions;
using Mdl.Bench.Goals;
using Mdl.Bench.Reporting;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Bench.Measurements;

/// <summary>
/// How fast a change is acted on: by a "lazy backend" that polls a goal's snapshot every 100 ms (through the Orleans
/// client's <c>GetSnapshotAsync</c>, not HTTP) and, when it sees a new value, calls its action service (a stateless worker
/// one grain hop away, like a function grain), against the goal's own loop reacting to the observation.
/// </summary>
/// <remarks>
/// Both paths are warmed first (untimed, back to back, until the JIT has settled), so the figures are those of a silo
/// that has been up, not of code still at its first JIT tier. Then rounds alternate a block of push changes with a block
/// of polling changes on the same seeded schedule of 200–600 ms gaps, so a noisy minute on the shared machine hits both;
/// every push sample starts after a quiet gap, as real traffic does.
/// </remarks>
internal static class Reaction
{
    /// <summary>The lazy backend's polling period.</summary>
    public static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>Untimed loops (push) and polls with an action (polling) per warm-up batch.</summary>
    public const int WarmupBatch = 100;

    /// <summary>What the comparison measured.</summary>
    /// <param name="Push">Every push sample.</param>
    /// <param name="Polling">Every polling sample.</param>
    /// <param name="RoundRatios">Each round's polling median ÷ push median.</param>
    /// <param name="RatioCi95">A 95 % bootstrap interval of polling median ÷ push median over all samples.</param>
    /// <param name="Polls">Polls made while polling samples were taken.</param>
    /// <param name="WastedPolls">Of those, polls that saw nothing new.</param>
    /// <param name="PushObservations">Observations the push goal was sent (each a change).</param>
    /// <param name="PushActions">Function runs they caused.</param>
    /// <param name="WakeupsPerPush">Voluntary context switches per push sample, per thread kind, above the same schedule idle.</param>
    /// <param name="WakeupsPerIdleGap">Voluntary context switches per gap of that schedule with no traffic at all.</param>
    /// <param name="WarmupBatches">Warm-up batches run before the JIT settled (or the budget ran out).</param>
    /// <param name="PushStages">
    /// The product's own stage timings (<c>mdl.stage.duration</c>) of the push samples alone, from the change until the
    /// outcome was applied: the part of a quiet sample spent in the goal's code, apart from the transport. Whatever else
    /// the silo times inside those windows counts too; with no other traffic, that is nothing.
    /// </param>
    /// <param name="MinorFaultsPerPush">
    /// The process's minor page faults per push sample, over the same windows (first touches of memory the process had
    /// not used, or had given back); null where <c>/proc</c> has no count.
    /// </param>
    public sealed record Figures(
        LatencySamples Push,
        LatencySamples Polling,
        double[] RoundRatios,
        double[] RatioCi95,
        long Polls,
        long WastedPolls,
        long PushObservations,
        long PushActions,
        Dictionary<string, double> WakeupsPerPush,
        Dictionary<string, double> WakeupsPerIdleGap,
        int WarmupBatches,
        Dictionary<string, StageFigures> PushStages,
        double? MinorFaultsPerPush);

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds of <paramref name="changesPerRound"/> changes through each path, after at most
    /// <paramref name="warmupBudget"/> of warm-up.
    /// </summary>
    public static async Task<Figures> MeasureAsync(IClusterClient client, int changesPerRound, int rounds, TimeSpan warmupBudget)
    {
        var random = new Random(55);
        var gaps = Enumerable.Range(0, changesPerRound).Select(_ => TimeSpan.FromMilliseconds(random.Next(200, 600))).ToArray();

        var pushGoals = new GoalSet(client, "push", 1);
        await pushGoals.DefineAsync(BenchDefinitions.Loop);
        var pushId = pushGoals.Ids[0];
        var pushGoal = pushGoals.Goal(pushId);
        var lazyGoals = new GoalSet(client, "lazy", 1);
        await lazyGoals.DefineAsync(BenchDefinitions.Passive);
        var lazyId = lazyGoals.Ids[0];
        var lazy = lazyGoals.Goal(lazyId);
        await Waits.Bounded(lazy.ObserveAsync([BenchDefinitions.Reading(0)]), "the lazy goal's first reading");
        var action = client.GetGrain<ILazyActionGrain>(0);
        var warmups = await WarmAsync(
            warmupBudget,
            () => pushGoals.LoopOnceAsync(pushId),
            async i =>
            {
                await Waits.Bounded(lazy.GetSnapshotAsync(), "a warm-up read of the lazy goal");
                var key = $"{lazyId}/warm-{i}";
                var run = BenchSignals.ExpectRun(key, trackOutcome: false);
                await action.ActAsync(new FunctionCall { Function = BenchActFunction.Name, GoalId = lazyId, IdempotencyKey = key, DecisionSeq = -1 });
                await Waits.Run(run, key);
            });

        // Wake-ups of the process over the schedule with no traffic: what a push sample adds is measured against this.
        var idleBefore = ThreadWakeups.Snapshot();
        foreach (var gap in gaps)
        {
            await Task.Delay(gap);
        }

        var idleAfter = ThreadWakeups.Snapshot();
        var idlePerGap = ThreadWakeups.Per(idleBefore, idleAfter, gaps.Length);

        var push = new LatencySamples();
        var polling = new LatencySamples();
        var roundRatios = new List<double>();
        var pushWakeups = new Dictionary<string, double>(StringComparer.Ordinal);
        long pushObservations = 0, pushActions = 0, polls = 0, wasted = 0;
        var level = 0;
        using var stages = new StageProfile(paused: true);
        long? faults = 0;
        for (var round = 0; round < rounds; round++)
        {
            var roundPush = new LatencySamples();
            var before = ThreadWakeups.Snapshot();
            foreach (var gap in gaps)
            {
                await Waits.Bounded(pushGoal.ObserveAsync([BenchDefinitions.Confirm()]), $"the confirmation of {pushId}");
                await Task.Delay(gap);
                var expected = BenchSignals.ExpectRun(pushId);

                // The change is the observation being sent: it is built before the clock starts, as the polling side's is.
                Observation[] change = [BenchDefinitions.Trigger()];
                var faultsBefore = ThreadWakeups.MinorFaults();
                stages.Resume();
                var changed = Stopwatch.GetTimestamp();
                var receipt = pushGoal.ObserveAsync(change);
                pushObservations++;
                var ran = await Waits.Run(expected, pushId);
                pushActions++;
                var ms = Percentiles.Ms(changed, ran.Timestamp);
                push.Add(ms);
                roundPush.Add(ms);
                await Waits.Bounded(receipt, $"the acknowledgement of {pushId}");
                await Waits.Bounded(ran.OutcomeApplied, $"the outcome of {pushId}");
                stages.Pause();
                faults += ThreadWakeups.MinorFaults() - faultsBefore;
            }

            var after = ThreadWakeups.Snapshot();
            foreach (var (thread, perSample) in ThreadWakeups.Per(before, after, gaps.Length))
            {
                // A round's wake-ups less the idle schedule's, averaged over the rounds.
                pushWakeups[thread] = pushWakeups.GetValueOrDefault(thread) + ((perSample - idlePerGap.GetValueOrDefault(thread)) / rounds);
            }

            var roundPolling = new LatencySamples();
            var (roundPolls, roundWasted) = await PollAsync(lazy, lazyId, action, gaps, () => ++level, roundPolling);
            foreach (var sample in roundPolling.All)
            {
                polling.Add(sample);
            }

            polls += roundPolls;
            wasted += roundWasted;
            roundRatios.Add(Percentiles.Round(roundPolling.P(0.5) / roundPush.P(0.5), 1));
        }

        return new Figures(
            push,
            polling,
            [.. roundRatios],
            BootstrapRatioCi95(polling.All, push.All),
            polls,
            wasted,
            pushObservations,
            pushActions,
            pushWakeups.ToDictionary(kv => kv.Key, kv => Percentiles.Round(kv.Value, 2), StringComparer.Ordinal),
            idlePerGap,
            warmups,
            stages.Summary(),
            faults is { } total ? Percentiles.Round((double)total / push.Count, 2) : null);
    }

    /// <summary>
    /// Runs both paths in untimed batches until the JIT has settled: the tiered JIT only starts counting calls once no
    /// new method has been compiled for 100 ms, so a burst of warm-up alone leaves the path at its first tier, and the
    /// first quiet samples (one call every few hundred ms) would measure unoptimised code (they did: the first round's
    /// push median was twice the third's). Stops once a batch and the pause after it compile fewer than 5 methods.
    /// Returns the batches run.
    /// </summary>
    private static async Task<int> WarmAsync(TimeSpan warmupBudget, Func<Task> pushLoop, Func<int, Task> pollAndAct)
    {
        var budget = Stopwatch.StartNew();
        var batches = 0;
        var call = 0;
        while (budget.Elapsed < warmupBudget)
        {
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            for (var i = 0; i < WarmupBatch; i++)
            {
                await pushLoop();
                await pollAndAct(call++);
            }

            batches++;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            if (System.Runtime.JitInfo.GetCompiledMethodCount() - compiled < 5)
            {
                break;
            }
        }

        return batches;
    }

    /// <summary>
    /// One block of polling samples: the lazy backend polls every <see cref="PollPeriod"/> while the changes are made, and
    /// acts on each new value it sees. Returns the polls made and how many of them saw nothing new.
    /// </summary>
    private static async Task<(long Polls, long Wasted)> PollAsync(
        IGoalGrain lazy, string lazyId, ILazyActionGrain action, TimeSpan[] gaps, Func<int> nextLevel, LatencySamples samples)
    {
        using var stop = new CancellationTokenSource();
        var polls = 0L;
        var wasted = 0L;
        var seen = (await lazy.GetSnapshotAsync())?.Metrics.GetValueOrDefault(BenchDefinitions.Metric) ?? 0;
        var poller = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(PollPeriod);
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                var snapshot = await lazy.GetSnapshotAsync();
                polls++;
                var value = snapshot?.Metrics.GetValueOrDefault(BenchDefinitions.Metric) ?? 0;
                if (value == seen)
                {
                    wasted++;
                    continue;
                }

                seen = value;
                var key = $"{lazyId}/{value:0}";
                await action.ActAsync(new FunctionCall { Function = BenchActFunction.Name, GoalId = lazyId, IdempotencyKey = key, DecisionSeq = (long)value });
            }
        });

        try
        {
            foreach (var gap in gaps)
            {
                await Task.Delay(gap);
                var k = nextLevel();
                var key = $"{lazyId}/{k}";
                var expected = BenchSignals.ExpectRun(key, trackOutcome: false);
                Observation[] change = [BenchDefinitions.Reading(k)];
                var changed = Stopwatch.GetTimestamp();
                await Waits.Bounded(lazy.ObserveAsync(change), "a lazy goal reading");
                var ran = await Waits.Run(expected, key);
                samples.Add(Percentiles.Ms(changed, ran.Timestamp));
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await poller.WaitAsync(Waits.Step);
            }
            catch (OperationCanceledException)
            {
                // The poller ends by cancellation.
            }
        }

        return (polls, wasted);
    }

    /// <summary>
    /// A 95 % percentile-bootstrap interval of median(<paramref name="numerator"/>) ÷ median(<paramref name="denominator"/>):
    /// both sample lists resampled with replacement 2,000 times (seeded, so a run's interval is reproducible from its samples).
    /// </summary>
    private static double[] BootstrapRatioCi95(IReadOnlyList<double> numerator, IReadOnlyList<double> denominator)
    {
        const int resamples = 2_000;
        var random = new Random(4);
        var ratios = new double[resamples];
        var a = new double[numerator.Count];
        var b = new double[denominator.Count];
        for (var i = 0; i < resamples; i++)
        {
            for (var j = 0; j < a.Length; j++)
            {
                a[j] = numerator[random.Next(a.Length)];
            }

            for (var j = 0; j < b.Length; j++)
            {
                b[j] = denominator[random.Next(b.Length)];
            }

            ratios[i] = Percentiles.Of(a, 0.5) / Percentiles.Of(b, 0.5);
        }

        return [Percentiles.Round(Percentiles.Of(ratios, 0.025), 1), Percentiles.Round(Percentiles.Of(ratios, 0.975), 1)];
    }
}
