using System.Diagnostics.Metrics;
using Mdl.Telemetry;

namespace Mdl.Bench.Measurements;

/// <summary>
/// Listens to the product's own <c>mdl.stage.duration</c> histogram (observe, orient, decide, act) while a measurement
/// runs: the stopwatch sections the loop already has, read without touching the product.
/// </summary>
internal sealed class StageProfile : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, LatencySamples> _stages = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Starts listening.</summary>
    public StageProfile()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MdlTelemetry.Name && instrument.Name == "mdl.stage.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Per stage: sample count, median and mean (ms).</summary>
    public Dictionary<string, object> Summary()
    {
        lock (_lock)
        {
            return _stages.ToDictionary(
                s => s.Key,
                s => (object)new { count = s.Value.Count, p50Ms = s.Value.P(0.5), meanMs = s.Value.Mean });
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var stage = "?";
        foreach (var tag in tags)
        {
            if (tag.Key == "mdl.stage")
            {
                stage = tag.Value as string ?? "?";
            }
        }

        lock (_lock)
        {
            if (!_stages.TryGetValue(stage, out var samples))
            {
                _stages[stage] = samples = new LatencySamples();
            }

            samples.Add(value);
        }
    }
}
