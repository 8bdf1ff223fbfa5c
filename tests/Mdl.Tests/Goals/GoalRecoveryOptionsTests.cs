using Mdl.Goals;
using Mdl.Silo.Hosting;

namespace Mdl.Tests.Goals;

/// <summary>The goal recovery's settings are checked at the silo's start, each bad one named.</summary>
public sealed class GoalRecoveryOptionsTests
{
    [Fact]
    public void The_defaults_are_usable()
    {
        Assert.Empty(new GoalRecoveryOptions().Problems());
    }

    [Theory]
    [InlineData(-1, 30, 256, "Mdl__Recovery__Grace")]
    [InlineData(30, 0, 256, "Mdl__Recovery__SweepPeriod")]
    [InlineData(30, 7200, 256, "Mdl__Recovery__SweepPeriod")]
    [InlineData(30, 30, 0, "Mdl__Recovery__PageSize")]
    public void A_setting_out_of_range_is_named_and_stops_the_silo(int graceSeconds, int sweepSeconds, int pageSize, string named)
    {
        var recovery = new GoalRecoveryOptions
        {
            Grace = TimeSpan.FromSeconds(graceSeconds),
            SweepPeriod = TimeSpan.FromSeconds(sweepSeconds),
            PageSize = pageSize,
        };

        Assert.StartsWith(named, Assert.Single(recovery.Problems()));
        var silo = new MdlSiloOptions { Recovery = recovery };
        Assert.Contains(silo.Problems(connectionString: null), p => p.StartsWith(named, StringComparison.Ordinal));
    }
}
