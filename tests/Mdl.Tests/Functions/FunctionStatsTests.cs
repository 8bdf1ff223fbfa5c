using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Functions;

/// <summary>Finished calls reach the function's cluster-wide statistics, which silos ship in batches.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FunctionStatsTests(ClusterFixture fixture)
{
    private IFunctionCatalogGrain Catalog => fixture.Client.GetGrain<IFunctionCatalogGrain>(0);

    [Fact]
    public async Task Every_finished_call_is_counted_once_in_the_functions_statistics()
    {
        var before = await StatsAsync("test.counted");
        var ids = Enumerable.Range(0, 5).Select(i => Definitions.NewGoalId($"stats{i}")).ToArray();
        foreach (var id in ids)
        {
            var goal = fixture.Client.GetGrain<IGoalGrain>(id);
            await goal.PutDefinitionAsync(Definitions.Queue(functions: ["test.counted"]));
            await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);
            await Eventually.WaitAsync(() => goal.GetDecisionsAsync(1), d => d.Length == 1 && d[0].Outcome is not null, "the outcome");
        }

        var calls = ids.Sum(id => TestFunctionLog.CallsFor(id).Length);
        var after = await Eventually.WaitAsync(() => StatsAsync("test.counted"), s => s.Calls >= before.Calls + calls, "the calls in the statistics");

        // Shipped once each: a second interval later the count has not moved past the calls made.
        await Task.Delay(FunctionStatsShipper.Interval * 3);
        Assert.Equal(before.Calls + calls, (await StatsAsync("test.counted")).Calls);
        Assert.NotNull(after.LastCallAt);
        Assert.NotNull(after.P95Ms);
    }

    private async Task<FunctionStats> StatsAsync(string function) =>
        (await Catalog.ListAsync()).Single(f => f.Descriptor.Name == function).Stats;
}
