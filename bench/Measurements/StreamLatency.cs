using System.Diagnostics;
using Mdl.Bench.Functions;
using Mdl.Bench.Goals;
using Mdl.Bench.Reporting;
using Mdl.Observations;
using Mdl.Streams;
using Orleans.Streams;

namespace Mdl.Bench.Measurements;

/// <summary>
/// A low reading published by the client on the goal's own stream (<c>goal/&lt;id&gt;</c>, implicit subscription) →
/// the chosen function has run. One sample at a time, round-robin over the active goals.
/// </summary>
internal static class StreamLatency
{
    /// <summary>Publishes once to every goal's stream (activating its implicit subscription), then takes the samples.</summary>
    public static async Task<LatencySamples> MeasureAsync(IClusterClient client, GoalSet goals, int samples, TimeSpan budget, int pullPeriodMs)
    {
        var provider = client.GetStreamProvider(StreamNames.Provider);
        IAsyncStream<Observation> StreamOf(string id) => provider.GetStream<Observation>(StreamId.Create(StreamNames.GoalNamespace, id));

        // Warm-up: every goal's first stream event sets up its implicit subscription; done in parallel, not measured.
        await Parallel.ForEachAsync(goals.Ids, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (id, _) =>
        {
            await Waits.Bounded(goals.Goal(id).ObserveAsync([BenchDefinitions.Confirm()]), $"the confirmation of {id}");
            var expected = BenchSignals.ExpectRun(id);
            await StreamOf(id).OnNextAsync(BenchDefinitions.Trigger());
            var ran = await Waits.Run(expected, id);
            await Waits.Bounded(ran.OutcomeApplied, $"the outcome of {id}");
        });

        // Observations arrive at random moments relative to memory streams' pulling timer: a random pause before each publish
        // keeps the samples from locking onto the timer's phase (back-to-back samples would each wait almost a full period).
        // Push streams have no such timer; the same pauses make each publish come after a quiet gap, as real traffic does.
        var random = new Random(55);
        var result = new LatencySamples();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < samples && clock.Elapsed < budget; i++)
        {
            var id = goals.Ids[i % goals.Ids.Length];
            await Waits.Bounded(goals.Goal(id).ObserveAsync([BenchDefinitions.Confirm()]), $"the confirmation of {id}");
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, pullPeriodMs)));
            var expected = BenchSignals.ExpectRun(id);
            var trigger = BenchDefinitions.Trigger(); // built before the clock starts: the sender's work, not the path's
            var sent = Stopwatch.GetTimestamp();
            await StreamOf(id).OnNextAsync(trigger);
            var ran = await Waits.Run(expected, id);
            result.Add(Percentiles.Ms(sent, ran.Timestamp));
            await Waits.Bounded(ran.OutcomeApplied, $"the outcome of {id}");
        }

        return result;
    }
}
