using System.Diagnostics;
using Mdl.Bench.Baseline;
using Mdl.Bench.Functions;
using Mdl.Bench.Goals;
using Mdl.Bench.Reporting;
using Mdl.Bench.Storage;
using Mdl.Observations;

namespace Mdl.Bench.Measurements;

/// <summary>
/// Completed units per second with a fixed number outstanding. Each worker owns its own slice of goals (or baseline
/// grains) and cycles through it, so no two workers ever drive the same goal.
/// </summary>
internal static class Throughput
{
    /// <summary>How long each window is warmed up and measured.</summary>
    /// <param name="Warmup">Traffic before the window.</param>
    /// <param name="MaxJitSettle">
    /// The longest the warm-up goes on, past its own length, for the JIT to go quiet: long in a full run, so the window
    /// measures the code at its final tier; short with <c>--quick</c>, which must finish in under a minute.
    /// </param>
    /// <param name="Window">The measured window.</param>
    public sealed record Timing(TimeSpan Warmup, TimeSpan MaxJitSettle, TimeSpan Window);

    /// <summary>What one MDL window measured.</summary>
    /// <param name="PerSecond">Full loops per second.</param>
    /// <param name="WritesPerLoop">Goal-state writes per loop.</param>
    /// <param name="HistoryWritesPerLoop">Decision-history writes per loop.</param>
    /// <param name="WriteMs">Mean time of one goal-state write (serialise + memory storage grain).</param>
    /// <param name="WriteBytes">
    /// Mean serialised size of one goal-state write, with the harness's in-process storage (<see cref="HeapGrainStorage"/>);
    /// null with another storage, which the harness cannot see into.
    /// </param>
    /// <param name="CpuMsPerLoop">Process CPU time per loop: what one loop costs, whatever else the machine is doing.</param>
    /// <param name="BytesPerLoop">Managed bytes allocated per loop: what the loop costs the GC, independent of the machine's load.</param>
    /// <param name="WorkItemsPerLoop">
    /// Work items the thread pool completed per loop: the turns, continuations and message steps a loop is cut into, each
    /// queued and dispatched. Like the bytes, it hardly depends on the machine's load, so it shows an asynchronous layer
    /// added or removed where the CPU figures cannot.
    /// </param>
    public sealed record LoopFigures(
        double PerSecond, double WritesPerLoop, double HistoryWritesPerLoop, double WriteMs, double? WriteBytes, double CpuMsPerLoop, double BytesPerLoop,
        double WorkItemsPerLoop);

    /// <summary>What one baseline window measured.</summary>
    /// <param name="PerSecond">Calls per second.</param>
    /// <param name="CpuMsPerCall">Process CPU time per call.</param>
    /// <param name="BytesPerCall">Managed bytes allocated per call.</param>
    /// <param name="WorkItemsPerCall">Work items the thread pool completed per call.</param>
    public sealed record CallFigures(double PerSecond, double CpuMsPerCall, double BytesPerCall, double WorkItemsPerCall);

    /// <summary>
    /// Full loops: one call with a confirming and a low reading → decide (written ahead) → the function runs → its outcome
    /// is applied. A loop counts once the acknowledgement is back and the goal has applied the outcome (which it writes
    /// with its next write, or within its write-behind bound).
    /// </summary>
    public static async Task<LoopFigures> MeasureLoopsAsync(GoalSet goals, int concurrency, Timing timing)
    {
        var writes0 = 0L;
        var history0 = 0L;
        var ticks0 = 0L;
        var bytes0 = 0L;
        var figures = await MeasureAsync(concurrency, timing, goals.Ids.Length, async index =>
        {
            // One bound for the whole loop, as the baseline has one per call: a timer per awaited step would be the
            // harness's cost, not the loop's.
            var id = goals.Ids[index];
            var applied = BenchSignals.ExpectLoop(id);
            var receipt = goals.Goal(id).ObserveAsync([BenchDefinitions.Confirm(), BenchDefinitions.Trigger()]);
            try
            {
                await Waits.Bounded(Loop(applied, receipt), "the function run, acknowledgement and outcome", id);
            }
            finally
            {
                if (!applied.IsCompletedSuccessfully)
                {
                    BenchSignals.Forget(id);
                }
            }
        }, "loops", onWindowStart: () =>
        {
            writes0 = SignallingGrainStorage.GoalWrites;
            history0 = SignallingGrainStorage.HistoryWrites;
            ticks0 = SignallingGrainStorage.GoalWriteTicks;
            bytes0 = HeapGrainStorage.GoalWrittenBytes;
        });

        var writes = SignallingGrainStorage.GoalWrites - writes0;
        var historyWrites = SignallingGrainStorage.HistoryWrites - history0;
        var ticks = SignallingGrainStorage.GoalWriteTicks - ticks0;
        // Every goal write passes the signalling wrapper; only the harness's own storage counts their bytes.
        var bytes = HeapGrainStorage.GoalWrittenBytes - bytes0;
        return new LoopFigures(
            figures.PerSecond,
            figures.Completed == 0 ? 0 : (double)writes / figures.Completed,
            figures.Completed == 0 ? 0 : (double)historyWrites / figures.Completed,
            Percentiles.Ms(0, ticks) / Math.Max(1, writes),
            bytes == 0 || writes == 0 ? null : Math.Round((double)bytes / writes),
            figures.CpuMsPerUnit,
            figures.BytesPerUnit,
            figures.WorkItemsPerUnit);
    }

    private static async Task<long> Loop(Task<long> applied, Task<ObserveReceipt> receipt)
    {
        // In this order: the goal applies the outcome before its acknowledgement comes back, so the second await finds
        // it done and costs no work item. The other way round, a loop took one more (docs/benchmarks.md, "Work items").
        await receipt;
        return await applied;
    }

    /// <summary>Baseline calls: client → front grain → stateless worker and back.</summary>
    public static async Task<CallFigures> MeasureBaselineAsync(IClusterClient client, int keys, int concurrency, Timing timing)
    {
        var figures = await MeasureAsync(concurrency, timing, keys, async index =>
            await Waits.Bounded(client.GetGrain<IBaselineFrontGrain>(index).CallAsync(index), "a baseline call"), "baseline");
        return new CallFigures(figures.PerSecond, figures.CpuMsPerUnit, figures.BytesPerUnit, figures.WorkItemsPerUnit);
    }

    /// <summary>Durable baseline calls: client → front grain that writes its state → stateless worker and back.</summary>
    public static async Task<CallFigures> MeasureDurableBaselineAsync(IClusterClient client, int keys, int concurrency, Timing timing)
    {
        var figures = await MeasureAsync(concurrency, timing, keys, async index =>
            await Waits.Bounded(client.GetGrain<IBaselineDurableFrontGrain>(index).CallAsync(index), "a durable baseline call"), "durable baseline");
        return new CallFigures(figures.PerSecond, figures.CpuMsPerUnit, figures.BytesPerUnit, figures.WorkItemsPerUnit);
    }

    /// <summary>
    /// Shaped chain calls: client → a grain with the loop's messages and one state write of a goal's size → stateless
    /// worker and back, with no MDL logic (<see cref="ShapedFrontGrain"/>); each call carries the loop's two readings.
    /// </summary>
    public static async Task<CallFigures> MeasureShapedAsync(IClusterClient client, int keys, int concurrency, Timing timing)
    {
        // Keys made up front, as the goals' are: formatting one per call would be the harness's cost, not the chain's.
        // References made as the loop's are (the SDK's way), so the two differ by the MDL logic only.
        var ids = Enumerable.Range(0, keys).Select(i => $"shaped-{i}").ToArray();
        var fronts = new GrainReferences<IShapedFrontGrain>(client);
        var figures = await MeasureAsync(concurrency, timing, keys, async index =>
            await Waits.Bounded(
                fronts.For(ids[index]).ObserveAsync([BenchDefinitions.Confirm(), BenchDefinitions.Trigger()]),
                "a shaped chain call"), "shaped chain");
        return new CallFigures(figures.PerSecond, figures.CpuMsPerUnit, figures.BytesPerUnit, figures.WorkItemsPerUnit);
    }

    private static async Task<(double PerSecond, long Completed, double CpuMsPerUnit, double BytesPerUnit, double WorkItemsPerUnit)> MeasureAsync(
        int concurrency, Timing timing, int keys, Func<int, Task> unit, string label, Action? onWindowStart = null)
    {
        var completed = 0L;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var slice = Enumerable.Range(0, keys).Where(k => k % concurrency == worker).ToArray();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await unit(slice[i % slice.Length]);
                Interlocked.Increment(ref completed);
            }
        })).ToArray();

        await Task.Delay(timing.Warmup);

        // The window measures the code at its final tier, as the reaction phase does. Without this wait, a first round
        // right after start measured the loop at 0.37 CPU ms and 27.8 KB where the second measured 0.17 ms and 22.9 KB.
        await Waits.JitQuiet(timing.MaxJitSettle, quietMethodsPerSecond: 5);
        onWindowStart?.Invoke();

        // Printed so that a profiler can be attached inside the window (docs/benchmarks.md, "What reproduces each row").
        Console.WriteLine($"         {label} window: {timing.Window.TotalSeconds:0} s from {DateTime.Now:HH:mm:ss}");
        using var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var allocated0 = GC.GetTotalAllocatedBytes();
        var workItems0 = ThreadPool.CompletedWorkItemCount;
        var start = Interlocked.Read(ref completed);
        var clock = Stopwatch.StartNew();
        await Task.Delay(timing.Window);
        var done = Interlocked.Read(ref completed) - start;
        var elapsed = clock.Elapsed;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        var allocated = GC.GetTotalAllocatedBytes() - allocated0;
        var workItems = ThreadPool.CompletedWorkItemCount - workItems0;
        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(Waits.Step);
        return (Percentiles.Round(done / elapsed.TotalSeconds, 1), done, Percentiles.Round(cpu.TotalMilliseconds / Math.Max(1, done), 4),
            Math.Round((double)allocated / Math.Max(1, done)), Math.Round((double)workItems / Math.Max(1, done), 2));
    }
}
