using Mdl.Objectives;
using static Mdl.Tests.Goals.TestDefinitions;

namespace Mdl.Tests.Objectives;

public sealed class GapCalculatorTests
{
    [Theory]
    [InlineData(">=", 0.6, 0.3, 0.5)]
    [InlineData(">=", 0.6, 0.6, 0)]
    [InlineData(">=", 0.6, 0.9, 0)]
    [InlineData("<=", 3, 4.5, 0.5)]
    [InlineData("<=", 3, 3, 0)]
    [InlineData("<=", 3, 1, 0)]
    [InlineData("==", 10, 12, 0.2)]
    [InlineData("==", 10, 8, 0.2)]
    [InlineData("==", 10, 10, 0)]
    [InlineData(">", 10, 5, 0.5)]
    [InlineData(">", 10, 11, 0)]
    [InlineData("<", 10, 15, 0.5)]
    [InlineData("<", 10, 9, 0)]
    public void Gap_is_the_distance_to_the_target_divided_by_the_target(string op, double target, double value, double expected)
    {
        Assert.Equal(expected, GapCalculator.Gap(Objective("m", op, target), value), 12);
    }

    [Theory]
    [InlineData(">", 10)]
    [InlineData("<", 10)]
    [InlineData(">", 0)]
    [InlineData("<", -4)]
    public void Gap_of_a_strict_comparison_sitting_on_its_target_is_small_but_not_zero(string op, double target)
    {
        var objective = Objective("m", op, target);

        Assert.Equal(GapCalculator.BoundaryGap, GapCalculator.Gap(objective, target), 12);
        Assert.False(GapCalculator.IsSatisfied(objective, target));
    }

    [Fact]
    public void Gap_of_a_strict_comparison_just_short_of_its_target_is_at_least_the_boundary_gap()
    {
        var objective = Objective("m", ">", 10);

        Assert.Equal(GapCalculator.BoundaryGap, GapCalculator.Gap(objective, 10 - 1e-9), 12);
    }

    [Fact]
    public void Gap_uses_an_explicit_scale_when_given()
    {
        var objective = Objective("latency.p95", "<=", 200, scale: 1000);

        Assert.Equal(0.1, GapCalculator.Gap(objective, 300), 12);
        Assert.Equal(1000, GapCalculator.Scale(objective));
    }

    [Theory]
    [InlineData(0, 0.25, 0.25)]
    [InlineData(0, -0.5, 0.5)]
    public void Gap_against_a_zero_target_uses_a_scale_of_one(double target, double value, double expected)
    {
        var objective = Objective("m", "==", target);

        Assert.Equal(1, GapCalculator.Scale(objective));
        Assert.Equal(expected, GapCalculator.Gap(objective, value), 12);
    }

    [Fact]
    public void Gap_against_a_negative_target_uses_its_magnitude_as_scale()
    {
        var objective = Objective("pnl", ">=", -200);

        Assert.Equal(200, GapCalculator.Scale(objective));
        Assert.Equal(0.25, GapCalculator.Gap(objective, -250), 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Gap_ignores_a_scale_that_is_not_positive(double scale)
    {
        var objective = Objective("m", ">=", 4, scale: scale);

        Assert.Equal(4, GapCalculator.Scale(objective));
        Assert.Equal(0.5, GapCalculator.Gap(objective, 2), 12);
    }

    [Theory]
    [InlineData(">=", 1, -50, 51)]
    [InlineData("<=", 1, 50, 49)]
    [InlineData("==", 1, 1000, 999)]
    [InlineData(">", 1, -3, 4)]
    [InlineData("<", 1, 3, 2)]
    public void Gap_is_not_capped_so_halving_a_large_violation_still_shows(string op, double target, double value, double gap)
    {
        Assert.Equal(gap, GapCalculator.Gap(Objective("m", op, target), value), 9);
    }

    [Theory]
    [InlineData(">=")]
    [InlineData("<=")]
    [InlineData("==")]
    [InlineData(">")]
    [InlineData("<")]
    public void Gap_is_zero_when_the_value_is_unknown(string op)
    {
        Assert.Equal(0, GapCalculator.Gap(Objective("m", op, 5), null));
    }

    [Theory]
    [InlineData(">=", 5, 5, true)]
    [InlineData(">=", 5, 4.9, false)]
    [InlineData("<=", 5, 5, true)]
    [InlineData("<=", 5, 5.1, false)]
    [InlineData(">", 5, 5.1, true)]
    [InlineData(">", 5, 5, false)]
    [InlineData("<", 5, 4.9, true)]
    [InlineData("<", 5, 5, false)]
    [InlineData("==", 5, 5, true)]
    [InlineData("==", 5, 5.1, false)]
    public void IsSatisfied_applies_the_comparison(string op, double target, double value, bool expected)
    {
        Assert.Equal(expected, GapCalculator.IsSatisfied(Objective("m", op, target), value));
    }

    [Theory]
    [InlineData(">=")]
    [InlineData("==")]
    [InlineData("<")]
    public void IsSatisfied_is_false_when_the_value_is_unknown(string op)
    {
        Assert.False(GapCalculator.IsSatisfied(Objective("m", op, 0), null));
    }

    [Fact]
    public void Unknown_operator_has_no_gap_and_is_never_satisfied()
    {
        var objective = Objective("m", "!=", 5);

        Assert.Equal(0, GapCalculator.Gap(objective, 1));
        Assert.False(GapCalculator.IsSatisfied(objective, 1));
    }

    [Theory]
    [InlineData(">=", 0.6, 0.7)]
    [InlineData("<=", 3, 2.9999)]
    [InlineData("==", 0.3, 0.1 + 0.2)]
    [InlineData("==", 100, 100.0000000001)]
    [InlineData(">", 1, 1.5)]
    public void Gap_is_zero_whenever_the_objective_is_satisfied(string op, double target, double value)
    {
        // DESIGN.md §1: a gap of 0 means satisfied. The two must agree, or the goal acts on an objective it reports as met.
        var objective = Objective("m", op, target);

        Assert.True(GapCalculator.IsSatisfied(objective, value));
        Assert.Equal(0, GapCalculator.Gap(objective, value));
    }
}
