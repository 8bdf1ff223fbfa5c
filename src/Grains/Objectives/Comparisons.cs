namespace Mdl.Objectives;

/// <summary>The comparison operators an objective may use.</summary>
public static class Comparisons
{
    /// <summary>Every operator, for validation messages.</summary>
    public static IReadOnlyList<string> All { get; } = [">=", "<=", ">", "<", "=="];

    /// <summary>Whether <paramref name="op"/> is known.</summary>
    public static bool IsKnown(string? op) => op is not null && All.Contains(op);
}
