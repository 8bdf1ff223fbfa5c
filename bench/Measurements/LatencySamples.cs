using Mdl.Bench.Reporting;

namespace Mdl.Bench.Measurements;

/// <summary>A list of latency samples (ms) with its exact percentiles.</summary>
internal sealed class LatencySamples
{
    private readonly List<double> _samples = [];

    /// <summary>How many samples were taken.</summary>
    public int Count => _samples.Count;

    /// <summary>Every sample, in the order taken.</summary>
    public IReadOnlyList<double> All => _samples;

    /// <summary>Adds one sample.</summary>
    public void Add(double milliseconds) => _samples.Add(milliseconds);

    /// <summary>The <paramref name="quantile"/> (0..1), rounded.</summary>
    public double P(double quantile) => Percentiles.Round(Percentiles.Of(_samples, quantile));

    /// <summary>The mean, rounded.</summary>
    public double Mean => Percentiles.Round(_samples.Average());

    /// <summary>The largest sample, rounded.</summary>
    public double Max => Percentiles.Round(_samples.Max());
}
