using System.Diagnostics;
using System.Text.Json;
using Mdl.Bench.Goals;
using Mdl.Bench.Reporting;
using Mdl.Bench.Storage;
using Mdl.Goals;

namespace Mdl.Bench.Measurements;

/// <summary>
/// Managed memory per active goal: <see cref="GC.GetTotalMemory(bool)"/> before and after activating N goals with the
/// user #55 definition, each with one low-engagement observation processed (so each decides, and acts unless a function
/// is excluded), divided by N. Everything the goals cause in this process's managed heap counts: activations, live state,
/// the registry entry, the topic subscription, reminders, whatever the scenario's functions keep. The default storage's
/// serialised copies are kept outside the heap, as a database-backed silo's are, and reported apart.
/// </summary>
internal static class MemoryPerGoal
{
    /// <summary>Goals activated at once: a handful keeps the silo's queues, and so the functions' latency, short.</summary>
    private const int Parallelism = 8;

    /// <summary>Goals per progress block.</summary>
    private const int Block = 1_000;

    /// <summary>What the memory figure measured.</summary>
    /// <param name="BytesPerGoal">Heap growth ÷ goals activated.</param>
    /// <param name="Goals">Goals activated (fewer than asked when the budget ran out).</param>
    /// <param name="HeapBefore">Heap before, bytes.</param>
    /// <param name="HeapAfter">Heap after, bytes.</param>
    /// <param name="Seconds">Time to activate them and for their actions to finish.</param>
    /// <param name="SecondsPerBlock">Time each successive block of 1,000 goals took: flat if activation is linear.</param>
    /// <param name="Writes">Storage writes the goals caused.</param>
    /// <param name="Acted">How many of a sample of up to 100 goals took an action.</param>
    /// <param name="Sampled">The sample's size.</param>
    /// <param name="BudgetExceeded">Whether the time budget stopped activation early.</param>
    /// <param name="CpuMsPerGoal">Process CPU time per goal activated (define, observe, act).</param>
    /// <param name="StoredBytesPerGoal">The bench storage's serialised copies per goal, held outside the managed heap and so not in <paramref name="BytesPerGoal"/> (a real silo keeps them in its database).</param>
    /// <param name="NotActedReasons">Why the sampled goals that did not act decided so (their last decision's reason), with counts.</param>
    public sealed record Figures(
        double BytesPerGoal, int Goals, long HeapBefore, long HeapAfter, double Seconds, double[] SecondsPerBlock, long Writes,
        int Acted, int Sampled, bool BudgetExceeded, double CpuMsPerGoal, double StoredBytesPerGoal, Dictionary<string, int> NotActedReasons);

    /// <summary>
    /// Activates up to <paramref name="count"/> goals within <paramref name="budget"/>. With <paramref name="ownUsers"/> each
    /// goal has its own user (context <c>userId</c> = the goal id), as a deployment with a goal per user would; otherwise every
    /// goal keeps the example's <c>userId: "55"</c> and they all nudge one user.
    /// </summary>
    /// <param name="client">The client.</param>
    /// <param name="count">Goals to activate.</param>
    /// <param name="ownUsers">Whether each goal has its own user.</param>
    /// <param name="withoutTopics">Drops the definition's topic list, to separate the topic subscription's cost.</param>
    /// <param name="budget">The time bound.</param>
    /// <param name="progress">Progress lines.</param>
    public static async Task<Figures> MeasureAsync(
        IClusterClient client, int count, bool ownUsers, bool withoutTopics, TimeSpan budget, Action<string>? progress = null)
    {
        var definition = BenchDefinitions.User55();
        if (withoutTopics)
        {
            definition = definition with { Topics = [] };
        }

        var goals = new GoalSet(client, "user", count);
        var before = Settle();
        var stored0 = HeapGrainStorage.StoredBytes;
        var writes0 = SignallingGrainStorage.GoalWrites + SignallingGrainStorage.OtherWrites;
        using var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var blocks = new List<double>();
        var blockStart = TimeSpan.Zero;
        var next = -1;
        var done = 0;

        // Workers take goals in order until the budget runs out; a goal once started is always finished.
        var workers = Enumerable.Range(0, Parallelism).Select(_ => Task.Run(async () =>
        {
            int index;
            while (clock.Elapsed < budget && (index = Interlocked.Increment(ref next)) < count)
            {
                var id = goals.Ids[index];
                var goal = goals.Goal(id);
                var own = ownUsers ? definition with { Context = JsonSerializer.SerializeToElement(new { userId = id }) } : definition;
                await Waits.Bounded(goal.PutDefinitionAsync(own), $"defining {id}");
                await Waits.Bounded(goal.ObserveAsync([BenchDefinitions.IdleUser()]), $"observing {id}");
                if (Interlocked.Increment(ref done) % Block == 0)
                {
                    lock (blocks)
                    {
                        blocks.Add(Percentiles.Round((clock.Elapsed - blockStart).TotalSeconds, 2));
                        blockStart = clock.Elapsed;
                    }

                    progress?.Invoke($"  {done:N0} goals in {clock.Elapsed.TotalSeconds:0} s (last {Block:N0}: {blocks[^1]} s)");
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var activated = Volatile.Read(ref done);

        // The goals act after acknowledging: wait until no storage write has happened for a second (bounded).
        var last = -1L;
        var quiet = Stopwatch.StartNew();
        while (quiet.Elapsed < Waits.Step)
        {
            var now = SignallingGrainStorage.GoalWrites + SignallingGrainStorage.OtherWrites;
            if (now == last)
            {
                break;
            }

            last = now;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        var after = Settle();

        var sample = goals.Ids.Take(activated).Where((_, i) => i % Math.Max(1, activated / 100) == 0).Take(100).ToArray();
        var snapshots = await Task.WhenAll(sample.Select(id => goals.Goal(id).GetSnapshotAsync()));
        return new Figures(
            Percentiles.Round((after - before) / (double)Math.Max(1, activated), 0),
            activated,
            before,
            after,
            Percentiles.Round(seconds, 1),
            [.. blocks],
            last - writes0,
            snapshots.Count(s => s is { ActionsTaken: > 0 }),
            snapshots.Length,
            activated < count,
            Percentiles.Round(cpu.TotalMilliseconds / Math.Max(1, activated), 2),
            Percentiles.Round((HeapGrainStorage.StoredBytes - stored0) / (double)Math.Max(1, activated), 0),
            snapshots.Where(s => s is { ActionsTaken: 0 })
                .GroupBy(s => s!.LastDecision?.Reason ?? "no decision")
                .ToDictionary(g => g.Key, g => g.Count()));
    }

    private static long Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
