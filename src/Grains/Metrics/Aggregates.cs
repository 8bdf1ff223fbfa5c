namespace Mdl.Metrics;

/// <summary>The aggregate functions a metric mapping may use.</summary>
public static class Aggregates
{
    /// <summary>The newest sample.</summary>
    public const string Last = "last";

    /// <summary>The sum of samples.</summary>
    public const string Sum = "sum";

    /// <summary>The number of matching observations.</summary>
    public const string Count = "count";

    /// <summary>The smallest sample.</summary>
    public const string Min = "min";

    /// <summary>The largest sample.</summary>
    public const string Max = "max";

    /// <summary>An exponentially weighted moving average.</summary>
    public const string Ewma = "ewma";

    /// <summary>Every aggregate, for validation messages.</summary>
    public static IReadOnlyList<string> All { get; } = [Last, Sum, Count, Min, Max, Ewma];

    /// <summary>Whether a window is meaningful for <paramref name="aggregate"/>.</summary>
    public static bool SupportsWindow(string aggregate) => aggregate != Ewma;

    /// <summary>Whether an empty metric reads as zero rather than unknown.</summary>
    public static bool ZeroWhenEmpty(string aggregate) => aggregate is Sum or Count;
}
