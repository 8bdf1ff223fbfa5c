using System.Diagnostics.Metrics;
using Mdl.Telemetry;

namespace Mdl.Tests.Telemetry;

/// <summary>
/// The loop's stage timings read the clock only while something records them, and a timing started while nothing did
/// records nothing once something does.
/// </summary>
public sealed class StageTimingTests
{
    [Fact]
    public void A_stage_timed_while_its_histogram_is_listened_to_is_recorded_with_its_name()
    {
        var stage = $"unit-{Guid.NewGuid():N}";
        using var listener = Listen("mdl.stage.duration", out var recorded);

        var started = MdlTelemetry.StageStarted();
        MdlTelemetry.StageTook(stage, started);

        Assert.NotEqual(0, started);
        var (value, tag) = Assert.Single(recorded, r => r.Tag == stage);
        Assert.True(value >= 0);
    }

    [Fact]
    public void A_stage_whose_start_was_not_read_records_nothing()
    {
        var stage = $"unit-{Guid.NewGuid():N}";
        using var listener = Listen("mdl.stage.duration", out var recorded);

        // 0 is what StageStarted gives while nothing listens: the stage began before this listener did.
        MdlTelemetry.StageTook(stage, startedAt: 0);

        Assert.DoesNotContain(recorded, r => r.Tag == stage);
    }

    [Fact]
    public void Observe_to_act_is_recorded_from_an_arrival_read_while_listened_to_and_not_from_one_that_was_not()
    {
        var function = $"unit-{Guid.NewGuid():N}";
        using var listener = Listen("mdl.observe_to_act", out var recorded);

        var arrived = MdlTelemetry.ObservationArrived();
        MdlTelemetry.ActionCompleted(arrived, new KeyValuePair<string, object?>(MdlTelemetry.Tags.Function, function));
        MdlTelemetry.ActionCompleted(0, new KeyValuePair<string, object?>(MdlTelemetry.Tags.Function, function));

        Assert.NotEqual(0, arrived);
        Assert.Single(recorded, r => r.Tag == function);
    }

    /// <summary>Listens to one of the <c>Mdl</c> meter's histograms; each measurement with its first tag's value.</summary>
    private static MeterListener Listen(string instrument, out List<(double Value, string? Tag)> recorded)
    {
        var measurements = new List<(double, string?)>();
        recorded = measurements;
        var listener = new MeterListener
        {
            InstrumentPublished = (published, l) =>
            {
                if (published.Meter.Name == MdlTelemetry.Name && published.Name == instrument)
                {
                    l.EnableMeasurementEvents(published);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            lock (measurements)
            {
                measurements.Add((value, tags.Length > 0 ? tags[0].Value?.ToString() : null));
            }
        });
        listener.Start();
        return listener;
    }
}
