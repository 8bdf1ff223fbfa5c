using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mdl.Bench.Reporting;

/// <summary>The figures of one run, under the names docs/benchmarks.md and the issue use.</summary>
internal sealed class BenchResults
{
    /// <summary>Direct call → chosen function ran, p50 (ms).</summary>
    public double? DirectP50Ms { get; set; }

    /// <summary>Direct call → chosen function ran, p99 (ms).</summary>
    public double? DirectP99Ms { get; set; }

    /// <summary>Publish on the goal's own stream → chosen function ran, p50 (ms).</summary>
    public double? StreamP50Ms { get; set; }

    /// <summary>Publish on the goal's own stream → chosen function ran, p99 (ms).</summary>
    public double? StreamP99Ms { get; set; }

    /// <summary>Process CPU, percent of one core, with the active goals and no traffic.</summary>
    public double? IdleCpuPercent { get; set; }

    /// <summary>Full loops per second at the fixed concurrency.</summary>
    public double? LoopsPerSecond { get; set; }

    /// <summary>Client → grain → stateless worker calls per second at the same concurrency.</summary>
    public double? BaselineCallsPerSecond { get; set; }

    /// <summary><see cref="LoopsPerSecond"/> ÷ <see cref="BaselineCallsPerSecond"/>.</summary>
    public double? ThroughputRatio { get; set; }

    /// <summary>Change observed → action run, by a client polling the snapshot every 100 ms (median, ms).</summary>
    public double? PollingReactionMs { get; set; }

    /// <summary>Change observed → action run, by the goal's own loop (median, ms).</summary>
    public double? PushReactionMs { get; set; }

    /// <summary>Polls that saw nothing new.</summary>
    public long? PollingRequestsWasted { get; set; }

    /// <summary>Managed heap growth per active user #55 goal (bytes).</summary>
    public double? BytesPerGoal { get; set; }

    /// <summary>Acknowledged observations per second in PostgreSQL mode (the durable phase; null when not run).</summary>
    public double? DurableObservationsPerSecond { get; set; }

    /// <summary>Supporting figures: spreads, baselines, profile counters, sizes.</summary>
    public SortedDictionary<string, object?> Details { get; } = new(StringComparer.Ordinal);

    /// <summary>How the run was configured.</summary>
    public SortedDictionary<string, object?> Config { get; } = new(StringComparer.Ordinal);

    /// <summary>Writes the figures as JSON.</summary>
    public async Task WriteJsonAsync(string path)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(this, options) + Environment.NewLine);
    }

    /// <summary>The figures as a text table.</summary>
    public string ToTable()
    {
        var rows = new (string Name, object? Value, string Unit)[]
        {
            ("directP50Ms", DirectP50Ms, "ms"),
            ("directP99Ms", DirectP99Ms, "ms"),
            ("streamP50Ms", StreamP50Ms, "ms"),
            ("streamP99Ms", StreamP99Ms, "ms"),
            ("idleCpuPercent", IdleCpuPercent, "% of one core"),
            ("loopsPerSecond", LoopsPerSecond, "loops/s"),
            ("baselineCallsPerSecond", BaselineCallsPerSecond, "calls/s"),
            ("throughputRatio", ThroughputRatio, "loops ÷ baseline"),
            ("pollingReactionMs", PollingReactionMs, "ms"),
            ("pushReactionMs", PushReactionMs, "ms"),
            ("pollingRequestsWasted", PollingRequestsWasted, "polls"),
            ("bytesPerGoal", BytesPerGoal, "bytes"),
            ("durableObservationsPerSecond", DurableObservationsPerSecond, "obs/s"),
        };

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"figure",-30} {"value",14}  unit");
        text.AppendLine(new string('-', 66));
        foreach (var (name, value, unit) in rows)
        {
            var shown = value switch
            {
                null => "null",
                double d => d.ToString("0.###", CultureInfo.InvariantCulture),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
            text.AppendLine(CultureInfo.InvariantCulture, $"{name,-30} {shown,14}  {unit}");
        }

        return text.ToString();
    }
}
