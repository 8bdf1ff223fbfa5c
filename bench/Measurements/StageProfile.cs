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

    private volatile bool _paused;

    /// <summary>Starts listening; <paramref name="paused"/> starts it with measurements ignored until <see cref="Resume"/>.</summary>
    public StageProfile(bool paused = false)
    {
        _paused = paused;
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
    public Dictionary<string, StageFigures> Summary()
    {
        lock (_lock)
        {
            return _stages.ToDictionary(s => s.Key, s => new StageFigures(s.Value.Count, s.Value.P(0.5), s.Value.Mean));
        }
    }

    /// <summary>Records measurements again.</summary>
    public void Resume() => _paused = false;

    /// <summary>
    /// Ignores measurements until <see cref="Resume"/>: a measurement that times only some of the traffic (the reaction's
    /// push samples, not the confirmations before them or the polling goal's readings) listens around those alone.
    /// </summary>
    public void Pause() => _paused = true;

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (_paused)
        {
            return;
        }

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

/// <summary>One stage's timings.</summary>
/// <param name="Count">Measurements.</param>
/// <param name="P50Ms">Their median (ms).</param>
/// <param name="MeanMs">Their mean (ms).</param>
internal sealed record StageFigures(int Count, double P50Ms, double MeanMs);
