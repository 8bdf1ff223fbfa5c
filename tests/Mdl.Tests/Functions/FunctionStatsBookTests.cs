using Mdl.Functions;
using Microsoft.Extensions.Time.Testing;

namespace Mdl.Tests.Functions;

/// <summary>The silo's view of each function's recent latencies, which Decide weighs.</summary>
public sealed class FunctionStatsBookTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));

    [Fact]
    public void A_call_counts_from_the_moment_it_finished_not_from_when_it_was_recorded()
    {
        var book = new FunctionStatsBook(_time);

        // Finished longer ago than the window keeps latencies: it no longer speaks for the function.
        book.Record("f", Sample(durationMs: 900, at: _time.GetUtcNow() - FunctionStatsBook.MaxAge - TimeSpan.FromSeconds(1)));

        Assert.Null(book.P95("f"));
    }

    [Fact]
    public void Recent_calls_give_the_p95_until_the_newest_is_older_than_the_window()
    {
        var book = new FunctionStatsBook(_time);
        for (var i = 1; i <= 20; i++)
        {
            book.Record("f", Sample(durationMs: i, at: _time.GetUtcNow()));
        }

        Assert.Equal(19, book.P95("f"));
        _time.Advance(FunctionStatsBook.MaxAge + TimeSpan.FromSeconds(1));
        Assert.Null(book.P95("f"));
    }

    private static FunctionCallSample Sample(double durationMs, DateTimeOffset at) => new("succeeded", durationMs, Cost: 0, at);
}
