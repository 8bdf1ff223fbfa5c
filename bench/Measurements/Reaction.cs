using System.Diagnostics;
using Mdl.Bench.Baseline;
using Mdl.Bench.Functions;
using Mdl.Bench.Goals;
using Mdl.Bench.Reporting;
using Mdl.Functions;

namespace Mdl.Bench.Measurements;

/// <summary>
/// How fast a change is acted on: by a "lazy backend" that polls a goal's snapshot every 100 ms (through the Orleans
/// client's <c>GetSnapshotAsync</c>, not HTTP) and, when it sees a new value, calls its action service (a stateless worker
/// one grain hop away, like a function grain), against the goal's own loop reacting to the observation. Both see the same
/// schedule of changes, one after the other.
/// </summary>
internal static class Reaction
{
    /// <summary>The lazy backend's polling period.</summary>
    public static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>What the comparison measured.</summary>
    public sealed record Figures(LatencySamples Push, LatencySamples Polling, long Polls, long WastedPolls, long PushObservations, long PushActions);

    /// <summary>Runs <paramref name="changes"/> changes, spaced 200–600 ms apart (seeded), through both.</summary>
    public static async Task<Figures> MeasureAsync(IClusterClient client, int changes)
    {
        var random = new Random(55);
        var gaps = Enumerable.Range(0, changes).Select(_ => TimeSpan.FromMilliseconds(random.Next(200, 600))).ToArray();

        var pushGoals = new GoalSet(client, "push", 1);
        await pushGoals.DefineAsync(BenchDefinitions.Loop);
        await pushGoals.LoopOnceAsync(pushGoals.Ids[0]);
        var push = new LatencySamples();
        long pushObservations = 0, pushActions = 0;
        foreach (var gap in gaps)
        {
            var id = pushGoals.Ids[0];
            var goal = pushGoals.Goal(id);
            await Waits.Bounded(goal.ObserveAsync([BenchDefinitions.Confirm()]), $"the confirmation of {id}");
            await Task.Delay(gap);
            var expected = BenchSignals.ExpectRun(id);
            var changed = Stopwatch.GetTimestamp();
            var receipt = goal.ObserveAsync([BenchDefinitions.Trigger()]);
            pushObservations++;
            var ran = await Waits.Run(expected, id);
            pushActions++;
            push.Add(Percentiles.Ms(changed, ran.Timestamp));
            await Waits.Bounded(receipt, $"the acknowledgement of {id}");
            await Waits.Bounded(ran.OutcomeApplied, $"the outcome of {id}");
        }

        var lazyGoals = new GoalSet(client, "lazy", 1);
        await lazyGoals.DefineAsync(BenchDefinitions.Passive);
        var lazyId = lazyGoals.Ids[0];
        var lazy = lazyGoals.Goal(lazyId);
        await Waits.Bounded(lazy.ObserveAsync([BenchDefinitions.Reading(0)]), "the lazy goal's first reading");

        using var stop = new CancellationTokenSource();
        var polls = 0L;
        var wasted = 0L;
        var poller = Task.Run(async () =>
        {
            var seen = 0.0;
            var action = client.GetGrain<ILazyActionGrain>(0);
            using var timer = new PeriodicTimer(PollPeriod);
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                var snapshot = await lazy.GetSnapshotAsync();
                polls++;
                var level = snapshot?.Metrics.GetValueOrDefault(BenchDefinitions.Metric) ?? 0;
                if (level == seen)
                {
                    wasted++;
                    continue;
                }

                seen = level;
                var key = $"{lazyId}/{level:0}";
                await action.ActAsync(new FunctionCall { Function = BenchActFunction.Name, GoalId = lazyId, IdempotencyKey = key, DecisionSeq = (long)level });
            }
        });

        var polling = new LatencySamples();
        try
        {
            for (var k = 1; k <= changes; k++)
            {
                await Task.Delay(gaps[k - 1]);
                var key = $"{lazyId}/{k}";
                var expected = BenchSignals.ExpectRun(key, trackOutcome: false);
                var changed = Stopwatch.GetTimestamp();
                await Waits.Bounded(lazy.ObserveAsync([BenchDefinitions.Reading(k)]), "a lazy goal reading");
                var ran = await Waits.Run(expected, key);
                polling.Add(Percentiles.Ms(changed, ran.Timestamp));
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

        return new Figures(push, polling, polls, wasted, pushObservations, pushActions);
    }
}
