using Mdl.Functions;

namespace Mdl.Tests.Functions;

/// <summary>The latencies Decide judges a function by: percentiles of recent calls, which go stale when calls stop.</summary>
public sealed class LatencyWindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Percentiles_are_over_the_recent_samples()
    {
        var window = new LatencyWindow(capacity: 4);
        foreach (var ms in new double[] { 100, 1, 2, 3, 4 })
        {
            window.Add(ms, T0);
        }

        Assert.Equal(4, window.Percentile(0.95, T0));
        Assert.Equal(2, window.Percentile(0.5, T0));
    }

    [Fact]
    public void A_window_nobody_added_to_for_its_max_age_has_no_percentile_and_starts_afresh()
    {
        // A function excluded for a slow p95 gets no calls, so without an age its window would never change again.
        var window = new LatencyWindow(maxAge: TimeSpan.FromMinutes(1));
        for (var i = 0; i < 100; i++)
        {
            window.Add(800, T0);
        }

        Assert.Equal(800, window.Percentile(0.95, T0.AddSeconds(59)));
        Assert.Null(window.Percentile(0.95, T0.AddSeconds(61)));

        window.Add(20, T0.AddSeconds(62));
        Assert.Equal(20, window.Percentile(0.95, T0.AddSeconds(62)));
    }

    [Fact]
    public void Without_a_max_age_samples_never_go_stale()
    {
        var window = new LatencyWindow();
        window.Add(50, T0);

        Assert.Equal(50, window.Percentile(0.95, T0.AddDays(1)));
    }

    [Fact]
    public void A_busy_window_is_re_sorted_once_a_quarter_changed_and_a_sixteenth_suffices_once_the_view_is_a_moment_old()
    {
        var window = new LatencyWindow(capacity: 256);
        for (var i = 0; i < 256; i++)
        {
            window.Add(10, T0);
        }

        Assert.Equal(10, window.Percentile(0.95, T0));

        // 20 slow calls: more than a sixteenth of the window, less than a quarter. The view just made stands...
        for (var i = 0; i < 20; i++)
        {
            window.Add(500, T0);
        }

        Assert.Equal(10, window.Percentile(0.95, T0));

        // ...until it is QuietRefresh old: then the slow calls are the p95 (rank 243 of 256; 20 of them above 236).
        Assert.Equal(500, window.Percentile(0.95, T0 + LatencyWindow.QuietRefresh));

        // A quarter of the window changing refreshes the view at once, however young it is.
        for (var i = 0; i < 70; i++)
        {
            window.Add(1000, T0 + LatencyWindow.QuietRefresh);
        }

        Assert.Equal(1000, window.Percentile(0.95, T0 + LatencyWindow.QuietRefresh));
    }

    [Fact]
    public void A_small_window_is_re_sorted_on_every_change()
    {
        // Ten samples: one more is under a quarter of them and the view is fresh, yet it is re-sorted at once.
        var window = new LatencyWindow(capacity: 256);
        for (var i = 0; i < 10; i++)
        {
            window.Add(10, T0);
        }

        Assert.Equal(10, window.Percentile(0.95, T0));

        window.Add(30, T0);
        Assert.Equal(30, window.Percentile(0.95, T0));
    }
}
