namespace Mdl.Metrics;

/// <summary>The persisted state of one metric: a running value, or time buckets when the metric has a window.</summary>
[GenerateSerializer, Alias("mdl.MetricState")]
public sealed class MetricState
{
    /// <summary>The running value of an unwindowed metric (null until the first sample).</summary>
    [Id(0)] public double? Value { get; set; }

    /// <summary>Time buckets of a windowed metric, oldest first.</summary>
    [Id(1)] public List<MetricBucket>? Buckets { get; set; }

    /// <summary>When the last sample arrived.</summary>
    [Id(2)] public DateTimeOffset? LastSampleAt { get; set; }
}

/// <summary>The samples of one slice of a metric's window.</summary>
[GenerateSerializer, Alias("mdl.MetricBucket")]
public sealed class MetricBucket
{
    /// <summary>The bucket's start, in ticks since the epoch of <see cref="DateTimeOffset"/>.</summary>
    [Id(0)] public long StartTicks { get; set; }

    /// <summary>Sum of samples.</summary>
    [Id(1)] public double Sum { get; set; }

    /// <summary>Number of samples.</summary>
    [Id(2)] public long Count { get; set; }

    /// <summary>Smallest sample.</summary>
    [Id(3)] public double Min { get; set; }

    /// <summary>Largest sample.</summary>
    [Id(4)] public double Max { get; set; }

    /// <summary>Newest sample.</summary>
    [Id(5)] public double Last { get; set; }
}
