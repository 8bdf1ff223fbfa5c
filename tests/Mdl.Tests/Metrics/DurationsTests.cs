using Mdl.Metrics;

namespace Mdl.Tests.Metrics;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("P1D", 24 * 3600_000d)]
    [InlineData("PT5M", 5 * 60_000d)]
    [InlineData("PT0.5S", 500d)]
    [InlineData("PT1H30M", 90 * 60_000d)]
    [InlineData("P1DT12H", 36 * 3600_000d)]
    public void TryParse_reads_positive_iso_8601_durations(string text, double expectedMs)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("1D")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P1X")]
    [InlineData("five minutes")]
    [InlineData("-P1D")]
    [InlineData("PT0S")]
    [InlineData("p1d")]
    public void TryParse_refuses_what_is_not_a_positive_iso_8601_duration(string? text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_reads_a_week_duration()
    {
        // PnW is ISO-8601 (and what a user would write for a weekly window), though xs:duration has no weeks.
        Assert.True(Durations.TryParse("P1W", out var duration));
        Assert.Equal(TimeSpan.FromDays(7), duration);
    }

    [Fact]
    public void TryParseCached_answers_as_TryParse_for_more_texts_than_it_remembers()
    {
        // Twice over, in an order that makes the remembered texts go round: each answer must be the text's own.
        string?[] texts = ["PT5M", "P1D", "soon", "PT0.5S", "P1W", null, "PT0S", "PT1H30M", new string("PT5M".AsSpan())];
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var text in texts)
            {
                Assert.Equal(Durations.TryParse(text, out var expected), Durations.TryParseCached(text, out var cached));
                Assert.Equal(expected, cached);
            }
        }
    }

    [Fact]
    public void ParseOr_falls_back_when_absent_or_invalid()
    {
        var fallback = TimeSpan.FromMinutes(10);

        Assert.Equal(fallback, Durations.ParseOr(null, fallback));
        Assert.Equal(fallback, Durations.ParseOr("soon", fallback));
        Assert.Equal(TimeSpan.FromMinutes(2), Durations.ParseOr("PT2M", fallback));
    }
}
