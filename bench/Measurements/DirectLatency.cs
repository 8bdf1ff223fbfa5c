using System.Diagnostics;
using Mdl.Bench.Baseline;
using Mdl.Bench.Functions;
using Mdl.Bench.Goals;
using Mdl.Bench.Reporting;
using Mdl.Bench.Storage;
using Mdl.Observations;

namespace Mdl.Bench.Measurements;

/// <summary>
/// <c>IGoalGrain.ObserveAsync</c> from the client with one low reading → the chosen function has run, one sample at a
/// time, round-robin over every active goal. Before each sample an unmeasured confirming reading lets the previous
/// action's effect show, so every sample starts from the same state.
/// </summary>
internal static class DirectLatency
{
    /// <summary>Takes up to <paramref name="samples"/> samples within <paramref name="budget"/>.</summary>
    public static async Task<(LatencySamples Run, LatencySamples Ack, double WritesPerSample, double WriteMs)> MeasureAsync(
        GoalSet goals, int samples, TimeSpan budget)
    {
        var run = new LatencySamples();
        var ack = new LatencySamples();
        var writes = 0L;
        var writeTicks = 0L;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < samples && clock.Elapsed < budget; i++)
        {
            var id = goals.Ids[i % goals.Ids.Length];
            var goal = goals.Goal(id);
            await Waits.Bounded(goal.ObserveAsync([BenchDefinitions.Confirm()]), $"the confirmation of {id}");

            var writes0 = SignallingGrainStorage.GoalWrites;
            var ticks0 = SignallingGrainStorage.GoalWriteTicks;
            var expected = BenchSignals.ExpectRun(id);
            Observation[] trigger = [BenchDefinitions.Trigger()]; // built before the clock starts: the sender's work, not the path's
            var sent = Stopwatch.GetTimestamp();
            var receipt = goal.ObserveAsync(trigger);
            var ran = await Waits.Run(expected, id);
            await Waits.Bounded(receipt, $"the acknowledgement of {id}");
            var acked = Stopwatch.GetTimestamp();
            await Waits.Bounded(ran.OutcomeApplied, $"the outcome of {id}");

            run.Add(Percentiles.Ms(sent, ran.Timestamp));
            ack.Add(Percentiles.Ms(sent, acked));
            writes += SignallingGrainStorage.GoalWrites - writes0;
            writeTicks += SignallingGrainStorage.GoalWriteTicks - ticks0;
        }

        return (run, ack, (double)writes / run.Count, Percentiles.Ms(0, writeTicks) / Math.Max(1, writes));
    }

    /// <summary>
    /// The same shape without MDL: client → <see cref="IBaselineFrontGrain"/> → stateless worker and back, one at a time,
    /// round-robin over as many front grains as there are goals.
    /// </summary>
    public static async Task<LatencySamples> MeasureBaselineAsync(IClusterClient client, int keys, int samples, TimeSpan budget)
    {
        var result = new LatencySamples();
        for (var i = 0; i < keys; i++)
        {
            await client.GetGrain<IBaselineFrontGrain>(i).CallAsync(i);
        }

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < samples && clock.Elapsed < budget; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            await Waits.Bounded(client.GetGrain<IBaselineFrontGrain>(i % keys).CallAsync(i), "a baseline call");
            result.Add(Percentiles.Ms(sent, Stopwatch.GetTimestamp()));
        }

        return result;
    }
}
