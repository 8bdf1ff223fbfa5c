using System.Diagnostics;

namespace Mdl.Bench.Reporting;

/// <summary>Exact percentiles over a full sample list (nearest rank), and timestamp arithmetic.</summary>
internal static class Percentiles
{
    /// <summary>The <paramref name="quantile"/> (0..1) of <paramref name="samples"/> by nearest rank.</summary>
    public static double Of(IReadOnlyCollection<double> samples, double quantile)
    {
        if (samples.Count == 0)
        {
            throw new InvalidOperationException("No samples were taken.");
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    /// <summary>Milliseconds between two <see cref="Stopwatch"/> timestamps.</summary>
    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Rounds for display and JSON: three significant decimals are more than the noise allows.</summary>
    public static double Round(double value, int digits = 3) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}
