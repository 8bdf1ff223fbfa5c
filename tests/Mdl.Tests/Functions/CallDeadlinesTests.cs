using Mdl.Functions;
using Microsoft.Extensions.Time.Testing;

namespace Mdl.Tests.Functions;

/// <summary>Deadlines shared by slot: never early, at most one slot late, one timer per slot.</summary>
public sealed class CallDeadlinesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public void A_deadline_is_not_cancelled_early_and_is_cancelled_within_one_slot()
    {
        var deadlines = new CallDeadlines(_time);
        var token = deadlines.After(TimeSpan.FromMilliseconds(500));

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(token.IsCancellationRequested);

        _time.Advance(TimeSpan.FromMilliseconds(1) + CallDeadlines.Slot);
        Assert.True(token.IsCancellationRequested);
    }

    [Fact]
    public void Calls_due_in_the_same_slot_share_a_token_and_later_ones_outlive_it()
    {
        var deadlines = new CallDeadlines(_time);
        var first = deadlines.After(TimeSpan.FromMilliseconds(100));
        var same = deadlines.After(TimeSpan.FromMilliseconds(100));
        var later = deadlines.After(TimeSpan.FromMilliseconds(300));

        Assert.Equal(first, same);
        _time.Advance(TimeSpan.FromMilliseconds(100) + CallDeadlines.Slot);
        Assert.True(first.IsCancellationRequested);
        Assert.False(later.IsCancellationRequested);

        // A slot that has fired is gone: a new call due then gets a fresh token.
        var again = deadlines.After(TimeSpan.FromMilliseconds(100));
        Assert.False(again.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(200) + CallDeadlines.Slot);
        Assert.True(again.IsCancellationRequested);
        Assert.True(later.IsCancellationRequested);
    }

    [Fact]
    public void A_zero_timeout_is_cancelled_at_once()
    {
        var token = new CallDeadlines(_time).After(TimeSpan.Zero);

        _time.Advance(TimeSpan.Zero);
        Assert.True(token.IsCancellationRequested);
    }
}
