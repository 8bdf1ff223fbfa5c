using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Mdl.Bench;
using Mdl.Bench.Functions;
using Mdl.Bench.Goals;
using Mdl.Bench.Hosting;
using Mdl.Bench.Measurements;
using Mdl.Bench.Reporting;
using Mdl.Bench.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

const string Usage =
    "usage: dotnet run -c Release --project bench -- [--quick] [--json FILE] " +
    "[--only direct,stream,idle,throughput,reaction,memory,durable] [--postgres CONNECTION] [--durable-outstanding N] [--streams push|memory] [--stream-pull-ms N] [--memory-goals N] [--memory-users shared|own] [--memory-without-topics] [--storage heap|memory|sqlite] [--active-goals N] [--decision-history N] [--history-write-batch N] [--history-write-delay-ms N] [--dedupe-window N] [--idle-settle-s N] [--idle-window-s N] [--throughput-window-s N] [--throughput-rounds N] [--idle-silo-only] [--idle-no-collect] [--before-reaction STEP,...]";
string[] allPhases = ["direct", "stream", "idle", "throughput", "reaction", "memory", "durable"];

var quick = args.Contains("--quick");
var jsonPath = Option("--json");
var pullMs = Option("--stream-pull-ms") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
var phases = Option("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? allPhases;

// The durable phase needs a PostgreSQL server (bench/postgres.sh starts a throwaway one); the harness makes and drops its own database there.
var postgres = Option("--postgres") ?? Environment.GetEnvironmentVariable("MDL_BENCH_POSTGRES");

// Acknowledgements waited for at once in the durable phase: a backend feeding 1,000 goals has many requests in flight,
// and group commit turns that concurrency into fewer, larger commits.
var durableOutstanding = Option("--durable-outstanding") is { } d ? int.Parse(d, CultureInfo.InvariantCulture) : 256;
var memoryUsers = Option("--memory-users") ?? "own";
var memoryWithoutTopics = args.Contains("--memory-without-topics");
var storage = Option("--storage") ?? "heap";
var streams = Option("--streams") ?? "push";

// What the reaction phase runs after, on top of the phases before it: to find out what a phase leaves behind that a later
// quiet push pays for. The steps run in the order given: collect (two full blocking collections), wait:N (N seconds with
// no traffic), define (the active goals defined), warm (each of them driven through one loop).
// The idle figures collect garbage before they settle; --idle-no-collect leaves the heap as the traffic before left it.
var idleCollect = !args.Contains("--idle-no-collect");
var beforeReaction = Option("--before-reaction")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
if (args.Contains("--help") || args.Contains("-h") || phases.Except(allPhases).Any() || memoryUsers is not ("own" or "shared") || storage is not ("heap" or "memory" or "sqlite") || streams is not ("push" or "memory")
    || (pullMs is not null && streams != "memory")
    || beforeReaction.Any(step => step is not ("collect" or "define" or "warm") && WaitOf(step) is null))
{
    Console.WriteLine(Usage);
    return args.Contains("--help") || args.Contains("-h") ? 0 : 1;
}

// Warming drives the active goals through a loop, so they must be defined first: by a step, or by a phase that defines them.
if (beforeReaction.Contains("warm") && !beforeReaction.TakeWhile(step => step != "warm").Contains("define")
    && !phases.Intersect(["direct", "stream", "idle", "throughput"]).Any())
{
    Console.Error.WriteLine("--before-reaction: 'warm' needs the active goals defined first: put 'define' before it, or run a phase that defines them (direct, stream, idle, throughput)");
    return 1;
}

var plan = quick ? BenchPlan.Quick : BenchPlan.Full;
if (Option("--memory-goals") is { } m)
{
    plan = plan with { MemoryGoals = int.Parse(m, CultureInfo.InvariantCulture) };
}

if (Option("--active-goals") is { } a)
{
    plan = plan with { ActiveGoals = int.Parse(a, CultureInfo.InvariantCulture) };
}

if (Option("--idle-settle-s") is { } settle)
{
    plan = plan with { IdleSettle = TimeSpan.FromSeconds(double.Parse(settle, CultureInfo.InvariantCulture)) };
}

if (Option("--throughput-window-s") is { } throughputWindow)
{
    // Longer windows for profiling the loop (attach dotnet-trace inside one); fewer rounds keep the run short.
    plan = plan with { ThroughputWindow = TimeSpan.FromSeconds(double.Parse(throughputWindow, CultureInfo.InvariantCulture)) };
}

if (Option("--throughput-rounds") is { } rounds)
{
    plan = plan with { ThroughputRounds = int.Parse(rounds, CultureInfo.InvariantCulture) };
}

if (Option("--idle-window-s") is { } window)
{
    plan = plan with { IdleWindow = TimeSpan.FromSeconds(double.Parse(window, CultureInfo.InvariantCulture)) };
}

// The product's default unless given: how many decisions a goal keeps in the state it writes on every change.
var decisionHistory = Option("--decision-history") is { } h ? int.Parse(h, CultureInfo.InvariantCulture) : (int?)null;

// The same for when decisions waiting in the state move to the history: at once when this many wait, else after this delay.
var historyWriteBatch = Option("--history-write-batch") is { } batch ? int.Parse(batch, CultureInfo.InvariantCulture) : (int?)null;
var historyWriteDelayMs = Option("--history-write-delay-ms") is { } delayMs ? int.Parse(delayMs, CultureInfo.InvariantCulture) : (int?)null;

// How many observation ids each goal remembers for dedupe (the product's GoalEngineOptions.DedupeWindow): a busy goal's
// state carries them all in every write.
var dedupeWindow = Option("--dedupe-window") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : (int?)null;

#if DEBUG
Console.Error.WriteLine("warning: a Debug build; run with -c Release for figures worth reporting.");
#endif

var results = new BenchResults();
results.Config["mode"] = quick ? "quick" : "full";
results.Config["phases"] = phases;
results.Config["processors"] = Environment.ProcessorCount;
results.Config["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
results.Config["serverGc"] = GCSettings.IsServerGC;
results.Config["loadAverageAtStart"] = LoadAverage();
results.Config["streams"] = streams;
results.Config["streamPullPeriodMs"] = streams == "memory" ? pullMs ?? 100 : null;
results.Config["activeGoals"] = plan.ActiveGoals;
results.Config["idleSettleSeconds"] = plan.IdleSettle.TotalSeconds;
results.Config["idleMaxSettleSeconds"] = plan.IdleMaxSettle.TotalSeconds;
results.Config["idleWindowSeconds"] = plan.IdleWindow.TotalSeconds;
results.Config["concurrency"] = plan.Concurrency;
results.Config["memoryGoals"] = plan.MemoryGoals;
results.Config["memoryUsers"] = memoryUsers;
results.Config["memoryDefinition"] = memoryWithoutTopics ? "examples/user-55.json without its topics" : "examples/user-55.json";
results.Config["decisionHistory"] = decisionHistory?.ToString(CultureInfo.InvariantCulture) ?? "product default";
results.Config["historyWriteBatch"] = historyWriteBatch?.ToString(CultureInfo.InvariantCulture) ?? "product default";
results.Config["dedupeWindow"] = dedupeWindow?.ToString(CultureInfo.InvariantCulture) ?? "product default";
results.Config["historyWriteDelayMs"] = historyWriteDelayMs?.ToString(CultureInfo.InvariantCulture) ?? "product default";
results.Config["beforeReaction"] = beforeReaction;
results.Config["idleCollect"] = idleCollect;
results.Config["commit"] = Commit();
results.Config["stream"] = "the client publishes on the goal's own stream goal/<id> (implicit subscription); " +
    (streams == "push" ? "the product's push streams (AddMdlPushStreams)" : "Orleans memory streams");
results.Config["polling"] = "the lazy backend is an Orleans client calling IGoalGrain.GetSnapshotAsync every 100 ms (no HTTP)";
results.Config["storage"] = storage switch
{
    "heap" => "in-process storage: Orleans's binary serializer (what the product's SQLite storage serialises with), exactly sized copies in native memory (outside the managed heap, as a database's are), ETag checks, no disk, no audit log",
    "memory" => "Orleans memory grain storage with Orleans's binary serializer (a storage grain call per write), no disk, no audit log",
    _ => "the product's embedded mode: SQLite grain storage (WAL, synchronous=FULL) and SQLite audit log in a temporary file",
};
var sqlitePath = storage == "sqlite" ? Path.Combine(Path.GetTempPath(), $"mdl-bench-{Environment.ProcessId}.db") : null;
var total = Stopwatch.StartNew();

await using (var cluster = await BenchCluster.StartAsync(
    streams == "memory",
    pullMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
    sqlitePath,
    goals =>
    {
        goals.DecisionHistory = decisionHistory ?? goals.DecisionHistory;
        goals.HistoryWriteBatch = historyWriteBatch ?? goals.HistoryWriteBatch;
        goals.DedupeWindow = dedupeWindow ?? goals.DedupeWindow;
        goals.HistoryWriteDelay = historyWriteDelayMs is { } delay ? TimeSpan.FromMilliseconds(delay) : goals.HistoryWriteDelay;
    },
    orleansMemoryStorage: storage == "memory"))
{
    var client = cluster.Client;
    var serializer = cluster.SiloServices.GetRequiredService<Serializer>();
    Step("silo and client started");

    if (Runs("idle") && plan.IdleNoGoalsWindow > TimeSpan.Zero)
    {
        // The silo has started but done nothing yet: wait out the start-up work (JIT, first timers) before measuring.
        var noGoals = await IdleCpu.MeasureAsync(plan.IdleSettle * 2, plan.IdleMaxSettle, plan.IdleNoGoalsWindow, idleCollect);
        results.Details["idleCpuPercentNoGoals"] = noGoals.Percent;
        results.Details["idleNoGoalsJitMs"] = noGoals.JitMs;
        Step($"idle CPU with no goals: {results.Details["idleCpuPercentNoGoals"]} % of one core over {plan.IdleNoGoalsWindow.TotalSeconds:0} s");
    }

    var goals = new GoalSet(client, "g", plan.ActiveGoals);
    if (Runs("direct") || Runs("stream") || Runs("idle") || Runs("throughput"))
    {
        SignallingGrainStorage.Watch(goals.Ids[0]);
        await goals.DefineAsync(BenchDefinitions.Loop);
        await goals.WarmAsync();
        Step($"{plan.ActiveGoals:N0} goals defined and warmed (one loop each)");
    }

    if (Runs("direct"))
    {
        var stages = new StageProfile();
        var direct = await DirectLatency.MeasureAsync(goals, plan.DirectSamples, plan.SamplingBudget);
        stages.Dispose();
        results.Details["directStages"] = stages.Summary();
        results.DirectP50Ms = direct.Run.P(0.50);
        results.DirectP99Ms = direct.Run.P(0.99);
        results.Details["directSamples"] = direct.Run.Count;
        results.Details["directP90Ms"] = direct.Run.P(0.90);
        results.Details["directMaxMs"] = direct.Run.Max;
        results.Details["directAckP50Ms"] = direct.Ack.P(0.50);
        results.Details["directAckP99Ms"] = direct.Ack.P(0.99);
        results.Details["directGoalWritesPerSample"] = Percentiles.Round(direct.WritesPerSample, 2);
        results.Details["directGoalWriteMeanMs"] = Percentiles.Round(direct.WriteMs);
        Step($"direct: p50 {results.DirectP50Ms} ms, p99 {results.DirectP99Ms} ms over {direct.Run.Count:N0} samples " +
            $"({direct.WritesPerSample:0.0} goal writes per sample, {direct.WriteMs:0.000} ms each)");

        var baseline = await DirectLatency.MeasureBaselineAsync(client, plan.ActiveGoals, plan.DirectSamples, plan.SamplingBudget);
        results.Details["baselineCallP50Ms"] = baseline.P(0.50);
        results.Details["baselineCallP99Ms"] = baseline.P(0.99);
        results.Details["directP50OverBaselineP50"] = Percentiles.Round(direct.Run.P(0.50) / baseline.P(0.50), 2);
        Step($"baseline call chain (client → grain → stateless worker): p50 {baseline.P(0.50)} ms, p99 {baseline.P(0.99)} ms");
    }

    if (Runs("stream"))
    {
        var stream = await StreamLatency.MeasureAsync(client, goals, plan.StreamSamples, plan.SamplingBudget, pullMs ?? 100);
        results.StreamP50Ms = stream.P(0.50);
        results.StreamP99Ms = stream.P(0.99);
        results.Details["streamSamples"] = stream.Count;
        results.Details["streamMeanMs"] = stream.Mean;
        Step($"stream: p50 {results.StreamP50Ms} ms, p99 {results.StreamP99Ms} ms over {stream.Count:N0} samples");
    }

    if (Runs("idle"))
    {
        var idle = await IdleCpu.MeasureAsync(plan.IdleSettle, plan.IdleMaxSettle, plan.IdleWindow, idleCollect);
        results.IdleCpuPercent = idle.Percent;
        results.Details["idleJitMs"] = idle.JitMs;
        results.Details["idleMethodsCompiled"] = idle.MethodsCompiled;
        results.Details["idleSettledSeconds"] = idle.SettledSeconds;
        Step($"idle CPU with {plan.ActiveGoals:N0} active goals: {results.IdleCpuPercent} % of one core over {plan.IdleWindow.TotalSeconds:0} s " +
            $"after {idle.SettledSeconds:0.0} s to settle (in the window: JIT {idle.JitMs:0} ms, {idle.MethodsCompiled} methods compiled)");
    }

    if (Runs("throughput"))
    {
        var loopRounds = new List<double>();
        var baselineRounds = new List<double>();
        var ratios = new List<double>();
        var writesPerLoop = new List<double>();
        var historyWritesPerLoop = new List<double>();
        var writeMs = new List<double>();
        var writeBytes = new List<double>();
        var cpuPerLoop = new List<double>();
        var cpuPerCall = new List<double>();
        var durableRounds = new List<double>();
        var cpuPerDurableCall = new List<double>();
        var bytesPerLoop = new List<double>();
        var workItemsPerLoop = new List<double>();
        var workItemsPerCall = new List<double>();
        var workItemsPerDurableCall = new List<double>();
        var workItemsPerShapedCall = new List<double>();
        var bytesPerCall = new List<double>();
        var bytesPerDurableCall = new List<double>();
        var shapedRounds = new List<double>();
        var cpuPerShapedCall = new List<double>();
        var bytesPerShapedCall = new List<double>();
        var timing = new Throughput.Timing(plan.ThroughputWarmup, plan.ThroughputMaxJitSettle, plan.ThroughputWindow);
        for (var round = 0; round < plan.ThroughputRounds; round++)
        {
            var calls = await Throughput.MeasureBaselineAsync(client, plan.ActiveGoals, plan.Concurrency, timing);
            var loops = await Throughput.MeasureLoopsAsync(goals, plan.Concurrency, timing);
            if (plan.DurableBaseline)
            {
                var durable = await Throughput.MeasureDurableBaselineAsync(client, plan.ActiveGoals, plan.Concurrency, timing);
                durableRounds.Add(durable.PerSecond);
                cpuPerDurableCall.Add(durable.CpuMsPerCall);
                bytesPerDurableCall.Add(durable.BytesPerCall);
                workItemsPerDurableCall.Add(durable.WorkItemsPerCall);
                Step($"durable baseline round {round + 1}: {durable.PerSecond:N0} calls/s ({durable.CpuMsPerCall:0.000} CPU ms, {durable.BytesPerCall:N0} B allocated, {durable.WorkItemsPerCall:0.0} work items each)");
            }

            if (plan.ShapedBaseline)
            {
                var shaped = await Throughput.MeasureShapedAsync(client, plan.ActiveGoals, plan.Concurrency, timing);
                shapedRounds.Add(shaped.PerSecond);
                cpuPerShapedCall.Add(shaped.CpuMsPerCall);
                bytesPerShapedCall.Add(shaped.BytesPerCall);
                workItemsPerShapedCall.Add(shaped.WorkItemsPerCall);
                Step($"shaped chain round {round + 1} (the loop's messages and write, no MDL logic): {shaped.PerSecond:N0} calls/s " +
                    $"({shaped.CpuMsPerCall:0.000} CPU ms, {shaped.BytesPerCall:N0} B allocated, {shaped.WorkItemsPerCall:0.0} work items each), ratio to the bare chain {shaped.PerSecond / calls.PerSecond:0.000}");
            }

            baselineRounds.Add(calls.PerSecond);
            loopRounds.Add(loops.PerSecond);
            ratios.Add(loops.PerSecond / calls.PerSecond);
            writesPerLoop.Add(loops.WritesPerLoop);
            historyWritesPerLoop.Add(loops.HistoryWritesPerLoop);
            writeMs.Add(loops.WriteMs);
            if (loops.WriteBytes is { } bytes)
            {
                writeBytes.Add(bytes);
            }

            cpuPerLoop.Add(loops.CpuMsPerLoop);
            cpuPerCall.Add(calls.CpuMsPerCall);
            bytesPerLoop.Add(loops.BytesPerLoop);
            bytesPerCall.Add(calls.BytesPerCall);
            workItemsPerLoop.Add(loops.WorkItemsPerLoop);
            workItemsPerCall.Add(calls.WorkItemsPerCall);
            Step($"throughput round {round + 1}: baseline {calls.PerSecond:N0} calls/s ({calls.CpuMsPerCall:0.000} CPU ms, {calls.BytesPerCall:N0} B, {calls.WorkItemsPerCall:0.0} work items each), " +
                $"loops {loops.PerSecond:N0}/s ({loops.CpuMsPerLoop:0.000} CPU ms, {loops.BytesPerLoop:N0} B, {loops.WorkItemsPerLoop:0.0} work items each), ratio {loops.PerSecond / calls.PerSecond:0.000} " +
                $"({loops.WritesPerLoop:0.00} goal writes per loop, {loops.WriteMs:0.000} ms{(loops.WriteBytes is { } size ? $" and {size:N0} B" : "")} each; " +
                $"{loops.HistoryWritesPerLoop:0.00} history writes per loop)");
        }

        results.LoopsPerSecond = Percentiles.Round(loopRounds.Average(), 1);
        results.BaselineCallsPerSecond = Percentiles.Round(baselineRounds.Average(), 1);
        results.ThroughputRatio = Percentiles.Round(ratios.Average());
        results.Details["loopsPerSecondRounds"] = loopRounds;
        results.Details["baselineCallsPerSecondRounds"] = baselineRounds;
        results.Details["throughputGoalWritesPerLoop"] = Percentiles.Round(writesPerLoop.Average(), 2);
        results.Details["throughputHistoryWritesPerLoop"] = Percentiles.Round(historyWritesPerLoop.Average(), 2);
        results.Details["throughputGoalWriteMeanMs"] = Percentiles.Round(writeMs.Average());
        results.Details["throughputGoalWriteMeanBytes"] = writeBytes.Count == 0 ? null : Math.Round(writeBytes.Average());
        results.Details["cpuMsPerLoop"] = Percentiles.Round(cpuPerLoop.Average(), 4);
        results.Details["cpuMsPerBaselineCall"] = Percentiles.Round(cpuPerCall.Average(), 4);
        results.Details["cpuCostRatio"] = Percentiles.Round(cpuPerCall.Average() / cpuPerLoop.Average());
        results.Details["allocatedBytesPerLoop"] = Math.Round(bytesPerLoop.Average());
        results.Details["allocatedBytesPerBaselineCall"] = Math.Round(bytesPerCall.Average());
        results.Details["workItemsPerLoop"] = Percentiles.Round(workItemsPerLoop.Average(), 2);
        results.Details["workItemsPerBaselineCall"] = Percentiles.Round(workItemsPerCall.Average(), 2);
        if (durableRounds.Count > 0)
        {
            results.Details["durableBaselineCallsPerSecond"] = Percentiles.Round(durableRounds.Average(), 1);
            results.Details["durableBaselineCallsPerSecondRounds"] = durableRounds;
            results.Details["cpuMsPerDurableBaselineCall"] = Percentiles.Round(cpuPerDurableCall.Average(), 4);
            results.Details["allocatedBytesPerDurableBaselineCall"] = Math.Round(bytesPerDurableCall.Average());
            results.Details["workItemsPerDurableBaselineCall"] = Percentiles.Round(workItemsPerDurableCall.Average(), 2);
            results.Details["throughputRatioVsDurableBaseline"] = Percentiles.Round(loopRounds.Average() / durableRounds.Average());
        }

        if (shapedRounds.Count > 0)
        {
            // The floor: shaped ÷ bare is the most throughputRatio could be with MDL logic costing nothing.
            results.Details["shapedCallsPerSecond"] = Percentiles.Round(shapedRounds.Average(), 1);
            results.Details["shapedCallsPerSecondRounds"] = shapedRounds;
            results.Details["cpuMsPerShapedCall"] = Percentiles.Round(cpuPerShapedCall.Average(), 4);
            results.Details["allocatedBytesPerShapedCall"] = Math.Round(bytesPerShapedCall.Average());
            results.Details["workItemsPerShapedCall"] = Percentiles.Round(workItemsPerShapedCall.Average(), 2);
            results.Details["shapedRatioToBaseline"] = Percentiles.Round(shapedRounds.Average() / baselineRounds.Average());
            results.Details["throughputRatioVsShaped"] = Percentiles.Round(loopRounds.Average() / shapedRounds.Average());

            // What the MDL logic costs a loop above the shaped chain, and what it may cost for a loop at twice a bare
            // call's CPU (a ratio of 0.5 by CPU): the figures the throughput target turns on.
            results.Details["mdlCpuMsPerLoop"] = Percentiles.Round(cpuPerLoop.Average() - cpuPerShapedCall.Average(), 4);
            results.Details["mdlCpuMsPerLoopBudget"] = Percentiles.Round((2 * cpuPerCall.Average()) - cpuPerShapedCall.Average(), 4);
            results.Details["mdlBytesPerLoop"] = Math.Round(bytesPerLoop.Average() - bytesPerShapedCall.Average());
        }

        // The engine's part of a loop, alone on one thread, against the bare call's CPU in the same run: what a ratio of 0.5
        // leaves the whole MDL logic is mdlCpuMsPerLoopBudget, less than one bare call's CPU.
        var engine = EngineAlone.Measure(
            cluster.SiloServices.GetRequiredService<Mdl.Functions.IFunctionDirectory>(),
            cluster.SiloServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Mdl.Goals.GoalEngineOptions>>().Value,
            plan.ActiveGoals, plan.EngineLoopsPerRound, plan.EngineRounds);
        var engineShare = engine.MicrosecondsPerLoop / (1000 * cpuPerCall.Average());
        results.Details["engineMicrosecondsPerLoop"] = engine.MicrosecondsPerLoop;
        results.Details["engineBytesPerLoop"] = engine.BytesPerLoop;
        results.Details["engineToBareCallCpu"] = Percentiles.Round(engineShare);
        Step($"the goal engine alone: {engine.MicrosecondsPerLoop:0.00} µs and {engine.BytesPerLoop:N0} B a loop over {engine.Goals:N0} goals " +
            $"(fastest of {plan.EngineRounds} rounds of {engine.LoopsPerRound:N0}), {engineShare:0.00} of a bare call's CPU");
    }

    if (SignallingGrainStorage.LastWritten(goals.Ids[0]) is { } loopState)
    {
        results.Details["loopGoalStateBytes"] = serializer.SerializeToArray(loopState).Length;
        results.Details["loopGoalDecisionsInState"] = loopState.Decisions.Count;
    }

    if (Runs("reaction"))
    {
        foreach (var step in beforeReaction)
        {
            switch (step)
            {
                case "collect":
                    IdleCpu.CollectGarbage();
                    break;
                case "define":
                    await goals.DefineAsync(BenchDefinitions.Loop);
                    break;
                case "warm":
                    await goals.WarmAsync();
                    break;
                default:
                    await Task.Delay(WaitOf(step)!.Value);
                    break;
            }

            Step($"before the reaction phase: {step}");
        }

        var reaction = await Reaction.MeasureAsync(client, plan.ReactionChanges, plan.ReactionRounds, plan.ReactionWarmupBudget);
        results.PollingReactionMs = reaction.Polling.P(0.50);
        results.PushReactionMs = reaction.Push.P(0.50);
        results.PollingRequestsWasted = reaction.WastedPolls;
        results.Details["reactionChanges"] = plan.ReactionChanges * plan.ReactionRounds;
        results.Details["reactionRounds"] = plan.ReactionRounds;
        results.Details["reactionWarmupBatches"] = reaction.WarmupBatches;
        results.Details["reactionWarmupBatchSize"] = Reaction.WarmupBatch;
        results.Details["pollingPolls"] = reaction.Polls;
        results.Details["pollingReactionP25Ms"] = reaction.Polling.P(0.25);
        results.Details["pollingReactionP75Ms"] = reaction.Polling.P(0.75);
        results.Details["pollingReactionMeanMs"] = reaction.Polling.Mean;
        results.Details["pollingReactionMaxMs"] = reaction.Polling.Max;
        results.Details["pushReactionP25Ms"] = reaction.Push.P(0.25);
        results.Details["pushReactionP75Ms"] = reaction.Push.P(0.75);
        results.Details["pushReactionP90Ms"] = reaction.Push.P(0.90);
        results.Details["pushReactionMeanMs"] = reaction.Push.Mean;
        results.Details["pushReactionMaxMs"] = reaction.Push.Max;
        results.Details["pushRequestsWasted"] = reaction.PushObservations - reaction.PushActions;
        results.Details["pollingOverPushReaction"] = Percentiles.Round(reaction.Polling.P(0.5) / reaction.Push.P(0.5), 1);
        results.Details["pollingOverPushReactionCi95"] = reaction.RatioCi95;
        results.Details["pollingOverPushReactionRounds"] = reaction.RoundRatios;
        results.Details["pushWakeupsPerReaction"] = reaction.WakeupsPerPush;
        results.Details["reactionIdleWakeupsPerGap"] = reaction.WakeupsPerIdleGap;
        results.Details["pushStages"] = reaction.PushStages;
        results.Details["pushMinorFaultsPerSample"] = reaction.MinorFaultsPerPush;
        Step($"reaction: polling {results.PollingReactionMs} ms ({reaction.WastedPolls} of {reaction.Polls} polls wasted), push {results.PushReactionMs} ms "
            + $"(p25–p75 {reaction.Push.P(0.25)}–{reaction.Push.P(0.75)}); ratio {results.Details["pollingOverPushReaction"]}, 95 % CI {reaction.RatioCi95[0]}–{reaction.RatioCi95[1]}, "
            + $"rounds {string.Join(" / ", reaction.RoundRatios)}; {reaction.WarmupBatches} warm-up batches; push wake-ups per reaction above idle: "
            + string.Join(", ", reaction.WakeupsPerPush.Where(kv => Math.Abs(kv.Value) >= 0.1).Select(kv => $"{kv.Key} {kv.Value}")));
        Step("push samples' stages in the goal (p50 ms): " + string.Join(", ", reaction.PushStages.Select(kv => $"{kv.Key} {kv.Value.P50Ms}")));
    }

    if (Runs("memory"))
    {
        SignallingGrainStorage.Watch("user-0");
        var memory = await MemoryPerGoal.MeasureAsync(client, plan.MemoryGoals, memoryUsers == "own", memoryWithoutTopics, plan.MemoryBudget, Step);
        results.BytesPerGoal = memory.BytesPerGoal;
        results.Details["memoryGoalsActivated"] = memory.Goals;
        results.Details["memoryBudgetExceeded"] = memory.BudgetExceeded;
        results.Details["memoryHeapBeforeBytes"] = memory.HeapBefore;
        results.Details["memoryHeapAfterBytes"] = memory.HeapAfter;
        results.Details["memoryActivationSeconds"] = memory.Seconds;
        results.Details["memorySecondsPer1000Goals"] = memory.SecondsPerBlock;
        results.Details["memoryStorageWrites"] = memory.Writes;
        results.Details["memoryCpuMsPerGoal"] = memory.CpuMsPerGoal;
        results.Details["memoryStoredBytesPerGoal"] = memory.StoredBytesPerGoal;
        results.Details["memoryBytesPerGoalWithStoredCopies"] = memory.BytesPerGoal + memory.StoredBytesPerGoal;
        results.Details["memorySampleNotActedReasons"] = memory.NotActedReasons;
        results.Details["memorySampleGoalsThatActed"] = $"{memory.Acted} of {memory.Sampled}";
        if (SignallingGrainStorage.LastWritten("user-0") is { } userState)
        {
            results.Details["user55GoalStateBytes"] = serializer.SerializeToArray(userState).Length;
        }

        Step($"memory: {results.BytesPerGoal:N0} bytes per user #55 goal over {memory.Goals:N0} goals, plus {memory.StoredBytesPerGoal:N0} " +
            $"bytes of stored copies outside the heap ({memory.Seconds} s; " +
            $"{memory.Acted} of {memory.Sampled} sampled goals acted){(memory.BudgetExceeded ? $"; time budget ran out before {plan.MemoryGoals:N0}" : "")}");
    }

    if (Runs("idle") && args.Contains("--idle-silo-only"))
    {
        // Last, because it stops the client: the same goals, now with the silo alone in the process.
        await cluster.StopClientAsync();
        results.Details["idleCpuPercentSiloOnly"] = (await IdleCpu.MeasureAsync(plan.IdleSettle, plan.IdleMaxSettle, plan.IdleWindow, idleCollect)).Percent;
        Step($"idle CPU with {plan.ActiveGoals:N0} active goals, client stopped: {results.Details["idleCpuPercentSiloOnly"]} % of one core");
    }

    results.Details["unexpectedFunctionRuns"] = BenchSignals.UnexpectedRuns;
}

if (Runs("durable") && postgres is null)
{
    results.Details["durable"] = "not measured: give --postgres CONNECTION (or MDL_BENCH_POSTGRES); bench/postgres.sh start prints one";
    Step("durable: skipped, no --postgres");
}
else if (Runs("durable"))
{
    var durable = await DurableThroughput.MeasureAsync(postgres!, plan.ActiveGoals, durableOutstanding, plan.ThroughputWarmup, plan.ThroughputWindow, Step);
    results.DurableObservationsPerSecond = durable.ObservationsPerSecond;
    results.Details["durableBaselineCommitsPerSecond"] = durable.BaselineCommitsPerSecond;
    results.Details["durableOverBaselineCommits"] = Percentiles.Round(durable.ObservationsPerSecond / durable.BaselineCommitsPerSecond, 2);
    results.Details["durableAckP50Ms"] = durable.AckP50Ms;
    results.Details["durableAckP99Ms"] = durable.AckP99Ms;
    results.Details["durableAcknowledged"] = durable.Acknowledged;
    Step($"durable: {durable.ObservationsPerSecond:N0} acknowledged observations/s over {durable.Goals:N0} goals at {durable.Concurrency} outstanding " +
        $"(ack p50 {durable.AckP50Ms} ms, p99 {durable.AckP99Ms} ms); the database alone: {durable.BaselineCommitsPerSecond:N0} commits/s");
}

if (sqlitePath is not null)
{
    foreach (var file in new[] { sqlitePath, sqlitePath + "-wal", sqlitePath + "-shm" }.Where(File.Exists))
    {
        File.Delete(file);
    }
}

results.Config["loadAverageAtEnd"] = LoadAverage();
results.Details["totalSeconds"] = Percentiles.Round(total.Elapsed.TotalSeconds, 1);
results.Details["logWarnings"] = CountingLoggerProvider.Counts.ToDictionary(c => c.Key, c => (object)new { count = c.Value.Count, first = c.Value.First });

Console.WriteLine();
foreach (var (category, (count, first)) in CountingLoggerProvider.Counts)
{
    Console.WriteLine($"log: {count:N0} × {category}: {first[..Math.Min(first.Length, 240)]}");
}

Console.WriteLine();
Console.Write(results.ToTable());
if (jsonPath is not null)
{
    await results.WriteJsonAsync(jsonPath);
    Console.WriteLine($"figures written to {jsonPath}");
}

// A goal that acted without being asked would make every figure suspect.
return BenchSignals.UnexpectedRuns == 0 ? 0 : 2;

void Step(string text) => Console.WriteLine($"[{total.Elapsed.TotalSeconds,6:0.0}s] {text}");

bool Runs(string phase) => phases.Contains(phase);

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

// A --before-reaction step "wait:N" (N whole seconds, 0 or more) as its wait; null for any other step.
static TimeSpan? WaitOf(string step) =>
    step.StartsWith("wait:", StringComparison.Ordinal) && int.TryParse(step[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
        ? TimeSpan.FromSeconds(seconds)
        : null;

static string Commit() =>
    typeof(BenchPlan).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "SourceCommit")?.Value ?? "unknown";

static string LoadAverage()
{
    try
    {
        return File.ReadAllText("/proc/loadavg").Trim();
    }
    catch (IOException)
    {
        return "unknown";
    }
}
