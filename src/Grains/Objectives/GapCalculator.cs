using Mdl.Goals;

namespace Mdl.Objectives;

/// <summary>How far a metric is from an objective's target. Pure.</summary>
public static class GapCalculator
{
    /// <summary>The gap of a strict comparison that sits exactly on its target: small, but not satisfied.</summary>
    public const double BoundaryGap = 1e-3;

    /// <summary>
    /// The normalised gap of <paramref name="value"/> against <paramref name="objective"/>: 0 when satisfied
    /// (or when the value is unknown), else the distance to the target divided by the objective's scale.
    /// Not capped: a step that halves a large violation must still show as progress.
    /// </summary>
    public static double Gap(ObjectiveDefinition objective, double? value)
    {
        if (value is not { } v || IsSatisfied(objective, value))
        {
            return 0;
        }

        var t = objective.Target;
        var distance = objective.Op switch
        {
            ">=" => t - v,
            ">" => v > t ? 0 : Math.Max(t - v, BoundaryGap * Scale(objective)),
            "<=" => v - t,
            "<" => v < t ? 0 : Math.Max(v - t, BoundaryGap * Scale(objective)),
            "==" => Math.Abs(v - t),
            _ => 0,
        };

        return Math.Max(0, distance / Scale(objective));
    }

    /// <summary>Whether <paramref name="value"/> meets the objective; false when unknown.</summary>
    public static bool IsSatisfied(ObjectiveDefinition objective, double? value) =>
        value is { } v && objective.Op switch
        {
            ">=" => v >= objective.Target,
            ">" => v > objective.Target,
            "<=" => v <= objective.Target,
            "<" => v < objective.Target,
            "==" => Math.Abs(v - objective.Target) <= 1e-9 * Scale(objective),
            _ => false,
        };

    /// <summary>What a gap of 1 means in metric units.</summary>
    public static double Scale(ObjectiveDefinition objective) =>
        objective.Scale is { } s && s > 0 ? s : Math.Abs(objective.Target) > 0 ? Math.Abs(objective.Target) : 1;
}
