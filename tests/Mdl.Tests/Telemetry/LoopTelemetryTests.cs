using System.Diagnostics;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Telemetry;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mdl.Tests.Telemetry;

/// <summary>The loop's spans and measurements, captured with OpenTelemetry's in-memory exporter.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LoopTelemetryTests(ClusterFixture fixture)
{
    // A function only these tests call (TracedFunction): its observed latency, which weighs on Decide, is theirs alone.
    private const string Traced = "test.traced";

    [Fact]
    public async Task One_observation_gives_a_loop_span_with_observe_orient_decide_and_act_children()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(MdlTelemetry.Name).AddInMemoryExporter(spans).Build();
        var id = Definitions.NewGoalId("trace");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue(functions: [Traced]));

        await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);
        await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.InFlight.Length == 0 && s.DecisionsMade == 1, "the drain to finish");
        tracing.ForceFlush();

        await Eventually.WaitAsync(() => Task.FromResult(Snapshot(spans)), a => a.Any(x => x.OperationName == "mdl.act" && (string?)x.GetTagItem(MdlTelemetry.Tags.GoalId) == id), "the act span");
        Activity[] Mine() => Snapshot(spans);
        var loop = Mine().Single(a => a.OperationName == "mdl.loop"
            && (string?)a.GetTagItem(MdlTelemetry.Tags.GoalId) == id
            && (string?)a.GetTagItem(MdlTelemetry.Tags.ObservationKind) == "queue.sample");
        var children = Mine().Where(a => a.ParentSpanId == loop.SpanId).ToArray();
        Assert.Equal(["mdl.act", "mdl.decide", "mdl.observe", "mdl.orient"], children.Select(c => c.OperationName).Order());
        var decide = children.Single(c => c.OperationName == "mdl.decide");
        Assert.Equal(Traced, decide.GetTagItem(MdlTelemetry.Tags.Chosen));
        Assert.Equal(1, decide.GetTagItem(MdlTelemetry.Tags.Candidates));
        Assert.True((double)decide.GetTagItem(MdlTelemetry.Tags.Utility)! > 0);
        var act = children.Single(c => c.OperationName == "mdl.act");
        Assert.Equal("succeeded", act.GetTagItem(MdlTelemetry.Tags.Outcome));
        Assert.Equal(loop.TraceId, act.TraceId);
    }

    [Fact]
    public async Task A_client_call_the_goal_and_the_function_form_one_trace()
    {
        using var client = new ActivitySource("Mdl.Tests.Client");
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(MdlTelemetry.Name, "Mdl.Tests.Client", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
            .AddInMemoryExporter(spans)
            .Build();
        var id = Definitions.NewGoalId("one-trace");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue(functions: [Traced]));

        ActivityTraceId traceId;
        using (var root = client.StartActivity("client.observe"))
        {
            traceId = root!.TraceId;
            await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);
        }

        await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.InFlight.Length == 0 && s.DecisionsMade == 1, "the drain to finish");
        tracing.ForceFlush();

        // The act span ends once the outcome is written, a moment after the snapshot shows nothing in flight.
        var inTrace = await Eventually.WaitAsync(
            () => Task.FromResult(Snapshot(spans).Where(a => a.TraceId == traceId).ToArray()),
            a => a.Any(x => x.OperationName == "mdl.act"),
            "the act span");

        Assert.Contains(inTrace, a => a.OperationName == "mdl.loop" && (string?)a.GetTagItem(MdlTelemetry.Tags.GoalId) == id);
        Assert.Contains(inTrace, a => a.OperationName == "mdl.act");
        Assert.Contains(inTrace, a => a.DisplayName.Contains("IFunctionGrain", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Meter_counts_observations_decisions_actions_and_records_stage_durations()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(MdlTelemetry.Name).AddInMemoryExporter(metrics).Build();
        var id = Definitions.NewGoalId("metrics");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue(functions: [Traced]));

        await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 }), new Observation("other.kind", new { })]);
        await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.InFlight.Length == 0 && s.DecisionsMade == 1, "the drain to finish");
        meters.ForceFlush();

        var names = metrics.Select(m => m.Name).ToHashSet();
        foreach (var name in new[] { "mdl.observations", "mdl.decisions", "mdl.actions", "mdl.spend", "mdl.stage.duration", "mdl.observe_to_act", "mdl.goals.active", "mdl.actions.in_flight" })
        {
            Assert.Contains(name, names);
        }

        Assert.True(Sum(metrics, "mdl.observations", ("mdl.result", "irrelevant")) >= 1);
        Assert.True(Sum(metrics, "mdl.actions", ("mdl.function", Traced)) >= 1);
        var stages = metrics.Where(m => m.Name == "mdl.stage.duration").SelectMany(Points)
            .Select(p => Tag(p, "mdl.stage")).ToHashSet();
        Assert.Superset(new HashSet<string?> { "observe", "orient", "decide", "act" }, stages);
    }

    [Fact]
    public async Task Duration_histograms_resolve_the_loops_sub_millisecond_stages()
    {
        // OpenTelemetry's default buckets start at 5 ms, where every stage of a loop would fall into the first one and a
        // dashboard's p50 and p99 would read about 2.5 ms whatever the loop did.
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(MdlTelemetry.Name).AddInMemoryExporter(metrics).Build();
        var id = Definitions.NewGoalId("buckets");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue(functions: [Traced]));

        await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);
        await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.InFlight.Length == 0 && s.DecisionsMade == 1, "the drain to finish");
        meters.ForceFlush();

        foreach (var name in new[] { "mdl.stage.duration", "mdl.observe_to_act" })
        {
            var bounds = metrics.Where(m => m.Name == name).SelectMany(Points).Take(1)
                .SelectMany(p => Buckets(p).Select(b => b.Bound)).ToArray();
            Assert.Contains(bounds, b => b <= 0.05);
            Assert.Contains(bounds, b => b is > 0.05 and < 1);
            Assert.Contains(bounds, b => b >= 10_000);
        }

        // The observe stage (dedupe and metrics, in memory) takes microseconds: every sample lands under a millisecond.
        var observe = metrics.Where(m => m.Name == "mdl.stage.duration").SelectMany(Points).Single(p => Tag(p, "mdl.stage") == "observe");
        Assert.True(observe.GetHistogramCount() > 0);
        Assert.Equal(observe.GetHistogramCount(), Buckets(observe).Where(b => b.Bound < 1).Sum(b => b.Count));
    }

    private static List<(double Bound, long Count)> Buckets(MetricPoint point)
    {
        var buckets = new List<(double, long)>();
        foreach (var bucket in point.GetHistogramBuckets())
        {
            buckets.Add((bucket.ExplicitBound, bucket.BucketCount));
        }

        return buckets;
    }

    private static Activity[] Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }

    private static IEnumerable<MetricPoint> Points(Metric metric)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            yield return point;
        }
    }

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    private static long Sum(List<Metric> metrics, string name, (string Key, string Value) filter) =>
        metrics.Where(m => m.Name == name).SelectMany(Points)
            .Where(p => Tag(p, filter.Key) == filter.Value)
            .Sum(p => p.GetSumLong());
}
