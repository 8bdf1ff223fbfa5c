using Mdl.Decisions;
using Mdl.Functions;

namespace Mdl.Tests.Functions;

/// <summary>The cluster-wide statistics a batch of finished calls adds up to.</summary>
public sealed class FunctionStatsGrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_batch_counts_each_call_once_by_status_sums_its_spend_and_keeps_the_latest_call()
    {
        var grain = new FunctionStatsGrain();

        await grain.RecordManyAsync(
        [
            new FunctionCallSample(OutcomeStatus.Succeeded, 10, 1.0, T0.AddSeconds(1)),
            new FunctionCallSample(OutcomeStatus.Failed, 20, 2.0, T0.AddSeconds(3)),
            new FunctionCallSample(OutcomeStatus.TimedOut, 30, 0.5, T0.AddSeconds(2)),
        ]);
        await grain.RecordManyAsync([]);
        await grain.RecordManyAsync([new FunctionCallSample(OutcomeStatus.Succeeded, 40, 0.25, T0)]);

        var stats = await grain.GetAsync();
        Assert.Equal(4, stats.Calls);
        Assert.Equal(2, stats.Failures); // a timeout is a failure too
        Assert.Equal(1, stats.Timeouts);
        Assert.Equal(3.75, stats.Spend, 12);
        Assert.Equal(T0.AddSeconds(3), stats.LastCallAt); // a batch's older call does not move it back
    }
}
