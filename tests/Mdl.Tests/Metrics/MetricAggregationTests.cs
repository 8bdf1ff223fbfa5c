using System.Text.Json;
using Mdl.Goals;
using Mdl.Metrics;
using Mdl.Observations;
using static Mdl.Tests.Goals.TestDefinitions;

namespace Mdl.Tests.Metrics;

public sealed class MetricAggregationTests
{
    [Theory]
    [InlineData(Aggregates.Last, 4)]
    [InlineData(Aggregates.Sum, 13)]
    [InlineData(Aggregates.Count, 3)]
    [InlineData(Aggregates.Min, 2)]
    [InlineData(Aggregates.Max, 7)]
    public void Unwindowed_aggregate_combines_every_sample(string aggregate, double expected)
    {
        var mapping = Mapping("m", "reading", aggregate, field: "value");
        var state = new MetricState();

        Feed(mapping, state, T0, 7, 2, 4);

        Assert.Equal(expected, MetricAggregation.Read(mapping, state, T0));
    }

    [Fact]
    public void Ewma_starts_at_the_first_sample_and_moves_by_alpha()
    {
        var mapping = Mapping("m", "reading", Aggregates.Ewma, field: "value", alpha: 0.25);
        var state = new MetricState();

        Feed(mapping, state, T0, 8);
        Assert.Equal(8, MetricAggregation.Read(mapping, state, T0));

        Feed(mapping, state, T0, 0);
        Assert.Equal(6, MetricAggregation.Read(mapping, state, T0)!.Value, 12);

        Feed(mapping, state, T0, 10);
        Assert.Equal(0.25 * 10 + 0.75 * 6, MetricAggregation.Read(mapping, state, T0)!.Value, 12);
    }

    [Fact]
    public void Ewma_defaults_to_an_alpha_of_one_half()
    {
        var mapping = Mapping("m", "reading", Aggregates.Ewma, field: "value");
        var state = new MetricState();

        Feed(mapping, state, T0, 0.4, 0.8);

        Assert.Equal(0.6, MetricAggregation.Read(mapping, state, T0)!.Value, 12);
    }

    [Theory]
    [InlineData(Aggregates.Sum, 0d)]
    [InlineData(Aggregates.Count, 0d)]
    [InlineData(Aggregates.Last, null)]
    [InlineData(Aggregates.Min, null)]
    [InlineData(Aggregates.Max, null)]
    [InlineData(Aggregates.Ewma, null)]
    public void Read_of_a_metric_never_sampled_is_zero_for_sum_and_count_and_unknown_otherwise(string aggregate, double? expected)
    {
        var mapping = Mapping("m", "reading", aggregate, field: "value");

        Assert.Equal(expected, MetricAggregation.Read(mapping, null, T0));
        Assert.Equal(expected, MetricAggregation.Read(mapping, new MetricState(), T0));
    }

    [Theory]
    [InlineData(Aggregates.Last, 4)]
    [InlineData(Aggregates.Sum, 13)]
    [InlineData(Aggregates.Count, 3)]
    [InlineData(Aggregates.Min, 2)]
    [InlineData(Aggregates.Max, 7)]
    public void Windowed_aggregate_combines_the_samples_inside_the_window(string aggregate, double expected)
    {
        var mapping = Mapping("m", "reading", aggregate, field: "value", window: "PT1M");
        var state = new MetricState();

        Feed(mapping, state, T0, 7);
        Feed(mapping, state, T0.AddSeconds(10), 2);
        Feed(mapping, state, T0.AddSeconds(20), 4);

        Assert.Equal(expected, MetricAggregation.Read(mapping, state, T0.AddSeconds(30)));
    }

    [Theory]
    [InlineData(Aggregates.Last, 4)]
    [InlineData(Aggregates.Sum, 6)]
    [InlineData(Aggregates.Count, 2)]
    [InlineData(Aggregates.Min, 2)]
    [InlineData(Aggregates.Max, 4)]
    public void Windowed_aggregate_forgets_samples_that_left_the_window(string aggregate, double expected)
    {
        var mapping = Mapping("m", "reading", aggregate, field: "value", window: "PT1M");
        var state = new MetricState();

        Feed(mapping, state, T0, 7);
        Feed(mapping, state, T0.AddSeconds(40), 2);
        Feed(mapping, state, T0.AddSeconds(50), 4);

        // 90 s after the first sample it is out of the one-minute window; the other two are still in.
        Assert.Equal(expected, MetricAggregation.Read(mapping, state, T0.AddSeconds(90)));
    }

    [Theory]
    [InlineData(Aggregates.Sum, 0d)]
    [InlineData(Aggregates.Count, 0d)]
    [InlineData(Aggregates.Last, null)]
    [InlineData(Aggregates.Min, null)]
    [InlineData(Aggregates.Max, null)]
    public void Windowed_metric_whose_samples_all_left_reads_zero_for_sum_and_count_and_unknown_otherwise(string aggregate, double? expected)
    {
        var mapping = Mapping("m", "reading", aggregate, field: "value", window: "PT1M");
        var state = new MetricState();
        Feed(mapping, state, T0, 5, 6);

        Assert.NotEqual(expected, MetricAggregation.Read(mapping, state, T0.AddSeconds(30)));
        Assert.Equal(expected, MetricAggregation.Read(mapping, state, T0.AddMinutes(2)));
    }

    [Fact]
    public void Windowed_count_over_a_day_drops_yesterdays_events_as_time_moves()
    {
        var mapping = Mapping("notifications.today", "action.result", Aggregates.Count, window: "P1D");
        var state = new MetricState();

        Feed(mapping, state, T0, 1);
        Feed(mapping, state, T0.AddHours(6), 1);
        Feed(mapping, state, T0.AddHours(12), 1);

        Assert.Equal(3, MetricAggregation.Read(mapping, state, T0.AddHours(23)));
        Assert.Equal(2, MetricAggregation.Read(mapping, state, T0.AddHours(25)));
        Assert.Equal(1, MetricAggregation.Read(mapping, state, T0.AddHours(31)));
        Assert.Equal(0, MetricAggregation.Read(mapping, state, T0.AddHours(37)));
    }

    [Fact]
    public void Window_keeps_a_bounded_number_of_buckets_however_many_samples_arrive()
    {
        var mapping = Mapping("m", "reading", Aggregates.Sum, field: "value", window: "PT1M");
        var state = new MetricState();

        for (var i = 0; i < 10_000; i++)
        {
            Feed(mapping, state, T0.AddMilliseconds(i * 100), 1);
        }

        var now = T0.AddMilliseconds(9_999 * 100);
        Assert.InRange(state.Buckets!.Count, 1, MetricAggregation.BucketsPerWindow + 1);

        // The last minute holds 600 samples, give or take the one bucket the trailing edge is accurate to.
        Assert.InRange(MetricAggregation.Read(mapping, state, now)!.Value, 600 - 10, 600 + 10);
    }

    [Fact]
    public void Trim_drops_buckets_that_left_the_window()
    {
        var mapping = Mapping("m", "reading", Aggregates.Count, window: "PT1M");
        var state = new MetricState();
        Feed(mapping, state, T0, 1);
        Feed(mapping, state, T0.AddSeconds(30), 1);

        MetricAggregation.Trim(mapping, state, T0.AddSeconds(45));
        Assert.Equal(2, state.Buckets!.Count);

        MetricAggregation.Trim(mapping, state, T0.AddSeconds(75));
        Assert.True(Assert.Single(state.Buckets!).StartTicks > T0.UtcTicks, "the newer bucket stays, the older goes");

        MetricAggregation.Trim(mapping, state, T0.AddMinutes(5));
        Assert.Empty(state.Buckets!);
        Assert.Equal(0, MetricAggregation.Read(mapping, state, T0.AddMinutes(5)));
    }

    [Fact]
    public void NextExpiry_is_when_the_oldest_sample_in_the_window_leaves_it()
    {
        var mapping = Mapping("m", "reading", Aggregates.Count, window: "PT1M");
        var state = new MetricState();
        Feed(mapping, state, T0, 1);
        Feed(mapping, state, T0.AddSeconds(30), 1);

        var first = MetricAggregation.NextExpiry(mapping, state, T0.AddSeconds(40));
        Assert.NotNull(first);
        Assert.InRange(first.Value, T0.AddMinutes(1), T0.AddMinutes(1).AddSeconds(1));
        Assert.Equal(2, MetricAggregation.Read(mapping, state, first.Value.AddMilliseconds(-1)));
        Assert.Equal(1, MetricAggregation.Read(mapping, state, first.Value.AddMilliseconds(1)));

        var second = MetricAggregation.NextExpiry(mapping, state, first.Value.AddMilliseconds(1));
        Assert.NotNull(second);
        Assert.InRange(second.Value, T0.AddSeconds(90), T0.AddSeconds(91));
        Assert.Equal(0, MetricAggregation.Read(mapping, state, second.Value.AddMilliseconds(1)));
        Assert.Null(MetricAggregation.NextExpiry(mapping, state, second.Value.AddMilliseconds(1)));
    }

    [Fact]
    public void NextExpiry_is_null_for_an_unwindowed_or_empty_metric()
    {
        var unwindowed = Mapping("m", "reading", Aggregates.Sum, field: "value");
        var state = new MetricState();
        Feed(unwindowed, state, T0, 1);

        Assert.Null(MetricAggregation.NextExpiry(unwindowed, state, T0));
        Assert.Null(MetricAggregation.NextExpiry(Mapping("m", "reading", Aggregates.Count, window: "PT1M"), new MetricState(), T0));
        Assert.Null(MetricAggregation.NextExpiry(Mapping("m", "reading", Aggregates.Count, window: "PT1M"), null, T0));
    }

    [Fact]
    public void Add_records_when_the_last_sample_arrived()
    {
        var mapping = Mapping("m", "reading", Aggregates.Last, field: "value");
        var state = new MetricState();

        Feed(mapping, state, T0.AddSeconds(3), 1);

        Assert.Equal(T0.AddSeconds(3), state.LastSampleAt);
    }

    [Fact]
    public void Matches_requires_the_observation_kind()
    {
        var mapping = Mapping("m", "user.activity", Aggregates.Count);

        Assert.True(MetricAggregation.Matches(mapping, Event("user.activity")));
        Assert.False(MetricAggregation.Matches(mapping, Event("user.login")));
        Assert.False(MetricAggregation.Matches(mapping, Event("User.Activity")));
    }

    [Fact]
    public void Matches_with_a_source_filter_takes_only_that_source()
    {
        var mapping = Mapping("m", "metric.cpu", Aggregates.Last, field: "value", source: "node-1");

        Assert.True(MetricAggregation.Matches(mapping, Event("metric.cpu", source: "node-1")));
        Assert.False(MetricAggregation.Matches(mapping, Event("metric.cpu", source: "node-2")));
        Assert.False(MetricAggregation.Matches(mapping, Event("metric.cpu")));
    }

    [Fact]
    public void Matches_without_a_source_filter_takes_every_source()
    {
        var mapping = Mapping("m", "metric.cpu", Aggregates.Last, field: "value");

        Assert.True(MetricAggregation.Matches(mapping, Event("metric.cpu", source: "node-2")));
        Assert.True(MetricAggregation.Matches(mapping, Event("metric.cpu")));
    }

    [Fact]
    public void Matches_with_a_function_filter_takes_only_results_of_that_function()
    {
        var mapping = Mapping("notifications.today", ObservationKinds.ActionResult, Aggregates.Count, function: "notify.push");

        Assert.True(MetricAggregation.Matches(mapping, Event(ObservationKinds.ActionResult, """{"function":"notify.push","status":"succeeded"}""")));
        Assert.False(MetricAggregation.Matches(mapping, Event(ObservationKinds.ActionResult, """{"function":"recommend.items"}""")));
        Assert.False(MetricAggregation.Matches(mapping, Event(ObservationKinds.ActionResult, """{"status":"succeeded"}""")));
        Assert.False(MetricAggregation.Matches(mapping, Event(ObservationKinds.ActionResult, """{"function":42}""")));
    }

    [Fact]
    public void TryGetSample_of_a_count_without_a_field_is_one_whatever_the_data()
    {
        var mapping = Mapping("m", "reading", Aggregates.Count);

        Assert.True(MetricAggregation.TryGetSample(mapping, Event("reading", """{"value":"not a number"}"""), out var sample));
        Assert.Equal(1, sample);
    }

    [Fact]
    public void TryGetSample_follows_a_dotted_path()
    {
        var mapping = Mapping("m", "order.placed", Aggregates.Sum, field: "order.total");

        Assert.True(MetricAggregation.TryGetSample(mapping, Event("order.placed", """{"order":{"total":12.5,"items":3}}"""), out var sample));
        Assert.Equal(12.5, sample);
    }

    [Theory]
    [InlineData("""{"order":{"items":3}}""")]
    [InlineData("""{"order":12.5}""")]
    [InlineData("""{"order":[{"total":12.5}]}""")]
    [InlineData("""{"total":12.5}""")]
    [InlineData("{}")]
    public void TryGetSample_skips_an_observation_missing_the_dotted_field(string json)
    {
        var mapping = Mapping("m", "order.placed", Aggregates.Sum, field: "order.total");

        Assert.False(MetricAggregation.TryGetSample(mapping, Event("order.placed", json), out _));
    }

    [Theory]
    [InlineData("""{"value":"0.5"}""")]
    [InlineData("""{"value":null}""")]
    [InlineData("""{"value":[1]}""")]
    [InlineData("""{"value":{"x":1}}""")]
    [InlineData("""{"other":1}""")]
    public void TryGetSample_skips_non_numeric_or_missing_fields(string json)
    {
        var mapping = Mapping("m", "reading", Aggregates.Last, field: "value");

        Assert.False(MetricAggregation.TryGetSample(mapping, Event("reading", json), out _));
    }

    [Theory]
    [InlineData("""{"value":true}""", 1)]
    [InlineData("""{"value":false}""", 0)]
    public void TryGetSample_reads_booleans_as_one_and_zero(string json, double expected)
    {
        var mapping = Mapping("m", "reading", Aggregates.Sum, field: "value");

        Assert.True(MetricAggregation.TryGetSample(mapping, Event("reading", json), out var sample));
        Assert.Equal(expected, sample);
    }

    [Fact]
    public void TryGetSample_of_a_non_count_aggregate_without_a_field_takes_nothing()
    {
        var mapping = Mapping("m", "reading", Aggregates.Sum);

        Assert.False(MetricAggregation.TryGetSample(mapping, Event("reading", """{"value":1}"""), out _));
    }

    [Fact]
    public void Skipped_observations_leave_the_metric_as_it_was()
    {
        var mapping = Mapping("m", "reading", Aggregates.Max, field: "value");
        var state = new MetricState();
        Feed(mapping, state, T0, 3);

        foreach (var json in new[] { """{"value":"99"}""", """{"value":null}""", "{}" })
        {
            var observation = Event("reading", json);
            if (MetricAggregation.Matches(mapping, observation) && MetricAggregation.TryGetSample(mapping, observation, out var sample))
            {
                MetricAggregation.Add(mapping, state, sample, T0);
            }
        }

        Assert.Equal(3, MetricAggregation.Read(mapping, state, T0));
    }

    [Fact]
    public void TryGetPath_walks_nested_objects_only()
    {
        var root = JsonDocument.Parse("""{"a":{"b":{"c":5}},"x":[1,2]}""").RootElement;

        Assert.True(MetricAggregation.TryGetPath(root, "a.b.c", out var c));
        Assert.Equal(5, c.GetInt32());
        Assert.True(MetricAggregation.TryGetPath(root, "a.b", out var b));
        Assert.Equal(JsonValueKind.Object, b.ValueKind);
        Assert.False(MetricAggregation.TryGetPath(root, "a.c", out _));
        Assert.False(MetricAggregation.TryGetPath(root, "x.0", out _));
        Assert.False(MetricAggregation.TryGetPath(root, "a.b.c.d", out _));
        Assert.False(MetricAggregation.TryGetPath(root, "a..b", out _));
        Assert.False(MetricAggregation.TryGetPath(root, "a.", out _));

        // A segment is a whole property name, and an empty one names the property "" as it did when the path was split.
        var odd = JsonDocument.Parse("""{"":{"v":1},"a.b":2}""").RootElement;
        Assert.True(MetricAggregation.TryGetPath(odd, ".v", out var v));
        Assert.Equal(1, v.GetInt32());
        Assert.False(MetricAggregation.TryGetPath(odd, "a.b", out _));
    }

    /// <summary>Feeds <paramref name="values"/> through the mapping exactly as the engine does: match, sample, add.</summary>
    private static void Feed(MetricMapping mapping, MetricState state, DateTimeOffset now, params double[] values)
    {
        foreach (var value in values)
        {
            var field = mapping.Field ?? "value";
            var observation = Event(mapping.From, Nest(field, value), function: mapping.Function, source: mapping.Source);
            Assert.True(MetricAggregation.Matches(mapping, observation));
            Assert.True(MetricAggregation.TryGetSample(mapping, observation, out var sample));
            MetricAggregation.Add(mapping, state, sample, now);
        }
    }

    private static string Nest(string path, double value)
    {
        var json = JsonSerializer.Serialize(value);
        foreach (var segment in path.Split('.').Reverse())
        {
            json = $"{{{JsonSerializer.Serialize(segment)}:{json}}}";
        }

        return json;
    }

    private static Mdl.Observations.Observation Event(string kind, string json = "{}", string? function = null, string? source = null)
    {
        if (function is not null)
        {
            var data = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
            data["function"] = JsonSerializer.SerializeToElement(function);
            json = JsonSerializer.Serialize(data);
        }

        return Mdl.Tests.Goals.TestDefinitions.Event(kind, json, source: source);
    }
}
