using System.Text.Json;
using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Metrics;

/// <summary>
/// Applies a metric mapping to observations and reads the metric's value. Pure: no Orleans, no clock.
/// </summary>
/// <remarks>
/// A windowed metric keeps <see cref="BucketsPerWindow"/> buckets, so its memory is bounded however many
/// observations arrive; the window's trailing edge is accurate to one bucket (1/60 of the window).
/// </remarks>
public static class MetricAggregation
{
    /// <summary>How many buckets a window is cut into.</summary>
    public const int BucketsPerWindow = 60;

    /// <summary>The smoothing factor of <c>ewma</c> when the mapping gives none.</summary>
    public const double DefaultAlpha = 0.5;

    /// <summary>Whether <paramref name="observation"/> feeds <paramref name="mapping"/>.</summary>
    public static bool Matches(MetricMapping mapping, Observation observation)
    {
        if (!string.Equals(mapping.From, observation.Kind, StringComparison.Ordinal))
        {
            return false;
        }

        if (mapping.Source is not null && !string.Equals(mapping.Source, observation.Source, StringComparison.Ordinal))
        {
            return false;
        }

        if (mapping.Function is not null)
        {
            return TryGetPath(observation.Data, "function", out var function)
                && function.ValueKind == JsonValueKind.String
                && function.ValueEquals(mapping.Function);
        }

        return true;
    }

    /// <summary>
    /// Extracts the sample <paramref name="mapping"/> takes from <paramref name="observation"/>:
    /// 1 for <c>count</c>, else the number at the mapping's field. False when the field is absent or not a finite number.
    /// </summary>
    public static bool TryGetSample(MetricMapping mapping, Observation observation, out double sample)
    {
        sample = 1;
        if (mapping.Aggregate == Aggregates.Count && mapping.Field is null)
        {
            return true;
        }

        if (mapping.Field is null || !TryGetPath(observation.Data, mapping.Field, out var element))
        {
            return false;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return element.TryGetDouble(out sample) && double.IsFinite(sample);
            case JsonValueKind.True:
                sample = 1;
                return true;
            case JsonValueKind.False:
                sample = 0;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Adds one sample taken at <paramref name="now"/>.</summary>
    public static void Add(MetricMapping mapping, MetricState state, double sample, DateTimeOffset now)
    {
        state.LastSampleAt = now;
        if (Window(mapping) is { } window)
        {
            AddToBucket(state, window, sample, now);
            return;
        }

        state.Value = (mapping.Aggregate, state.Value) switch
        {
            (_, null) when mapping.Aggregate == Aggregates.Count => 1,
            (_, null) => sample,
            (Aggregates.Last, _) => sample,
            (Aggregates.Sum, var v) => v + sample,
            (Aggregates.Count, var v) => v + 1,
            (Aggregates.Min, var v) => Math.Min(v.Value, sample),
            (Aggregates.Max, var v) => Math.Max(v.Value, sample),
            (Aggregates.Ewma, var v) => (mapping.Alpha ?? DefaultAlpha) * sample + (1 - (mapping.Alpha ?? DefaultAlpha)) * v.Value,
            _ => sample,
        };
    }

    /// <summary>The metric's value at <paramref name="now"/>; null when unknown (no sample in the window, and not a sum or count).</summary>
    public static double? Read(MetricMapping mapping, MetricState? state, DateTimeOffset now)
    {
        var zero = Aggregates.ZeroWhenEmpty(mapping.Aggregate) ? 0d : (double?)null;
        if (state is null)
        {
            return zero;
        }

        if (Window(mapping) is not { } window)
        {
            return state.Value ?? zero;
        }

        var from = (now - window).UtcTicks;
        var width = BucketWidth(window).Ticks;
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity, last = 0;
        long count = 0;
        foreach (var bucket in state.Buckets ?? [])
        {
            if (bucket.StartTicks + width <= from)
            {
                continue;
            }

            sum += bucket.Sum;
            count += bucket.Count;
            min = Math.Min(min, bucket.Min);
            max = Math.Max(max, bucket.Max);
            last = bucket.Last;
        }

        if (count == 0)
        {
            return zero;
        }

        return mapping.Aggregate switch
        {
            Aggregates.Sum => sum,
            Aggregates.Count => count,
            Aggregates.Min => min,
            Aggregates.Max => max,
            _ => last,
        };
    }

    /// <summary>Drops buckets that have left the window; call before persisting.</summary>
    public static void Trim(MetricMapping mapping, MetricState state, DateTimeOffset now)
    {
        if (Window(mapping) is { } window && state.Buckets is { Count: > 0 } buckets)
        {
            // Kept buckets moved up in one pass, in order, rather than a predicate capturing the bounds: this runs for
            // every windowed metric before every write.
            var from = (now - window).UtcTicks;
            var width = BucketWidth(window).Ticks;
            var kept = 0;
            for (var i = 0; i < buckets.Count; i++)
            {
                if (buckets[i].StartTicks + width > from)
                {
                    buckets[kept++] = buckets[i];
                }
            }

            buckets.RemoveRange(kept, buckets.Count - kept);
        }
    }

    /// <summary>
    /// When the metric's value next changes by time alone (its oldest bucket leaves the window), or null for an
    /// unwindowed or empty metric. A goal wakes up then, so a rolling limit that frees up is acted on without polling.
    /// </summary>
    public static DateTimeOffset? NextExpiry(MetricMapping mapping, MetricState? state, DateTimeOffset now)
    {
        if (Window(mapping) is not { } window || state?.Buckets is not { Count: > 0 } buckets)
        {
            return null;
        }

        var width = BucketWidth(window).Ticks;
        var from = (now - window).UtcTicks;
        var oldest = long.MaxValue;
        foreach (var bucket in buckets)
        {
            if (bucket.StartTicks + width > from && bucket.StartTicks < oldest)
            {
                oldest = bucket.StartTicks;
            }
        }

        return oldest == long.MaxValue ? null : new DateTimeOffset(oldest + width + window.Ticks, TimeSpan.Zero);
    }

    /// <summary>Follows a dotted path (<c>a.b.c</c>) through JSON objects.</summary>
    public static bool TryGetPath(JsonElement root, string path, out JsonElement element)
    {
        // Segment by segment over the path's characters: splitting it made an array and a string per segment for every
        // observation a metric reads.
        element = root;
        var rest = path.AsSpan();
        while (true)
        {
            var dot = rest.IndexOf('.');
            var segment = dot < 0 ? rest : rest[..dot];
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(segment, out element))
            {
                return false;
            }

            if (dot < 0)
            {
                return true;
            }

            rest = rest[(dot + 1)..];
        }
    }

    private static TimeSpan? Window(MetricMapping mapping) =>
        Durations.TryParseCached(mapping.Window, out var window) ? window : null;

    private static TimeSpan BucketWidth(TimeSpan window) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, window.Ticks / BucketsPerWindow));

    private static void AddToBucket(MetricState state, TimeSpan window, double sample, DateTimeOffset now)
    {
        var width = BucketWidth(window).Ticks;
        var start = now.UtcTicks / width * width;
        var buckets = state.Buckets ??= [];
        var bucket = buckets.Count > 0 && buckets[^1].StartTicks == start ? buckets[^1] : null;
        if (bucket is null)
        {
            bucket = new MetricBucket { StartTicks = start, Min = sample, Max = sample };
            buckets.Add(bucket);
            var from = now.UtcTicks - window.Ticks;
            buckets.RemoveAll(b => b.StartTicks + width <= from);
        }

        bucket.Sum += sample;
        bucket.Count++;
        bucket.Min = Math.Min(bucket.Min, sample);
        bucket.Max = Math.Max(bucket.Max, sample);
        bucket.Last = sample;
    }
}
