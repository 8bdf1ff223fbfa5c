using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Functions;

/// <summary>Retries for idempotent functions, and a circuit per function that Decide respects.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ResilienceTests(ClusterFixture fixture)
{
    private IGoalGrain Goal(string id) => fixture.Client.GetGrain<IGoalGrain>(id);

    private static Observation Depth(double depth) => new("queue.sample", new { depth });

    [Fact]
    public async Task Idempotent_function_is_retried_with_the_same_key_until_it_succeeds()
    {
        var id = Definitions.NewGoalId("wobbly");
        await Goal(id).PutDefinitionAsync(Definitions.Queue(functions: ["test.wobbly"]));

        await Goal(id).ObserveAsync([Depth(12)]);

        var decision = (await Eventually.WaitAsync(() => Goal(id).GetDecisionsAsync(1), d => d.Length == 1 && d[0].Outcome is not null, "the outcome"))[0];
        Assert.Equal(OutcomeStatus.Succeeded, decision.Outcome!.Status);
        var calls = TestFunctionLog.CallsFor(id);
        Assert.Equal(3, calls.Length);
        Assert.All(calls, c => Assert.Equal($"{id}/1", c.IdempotencyKey));
    }

    [Fact]
    public async Task Failing_function_opens_its_circuit_is_excluded_as_circuit_open_and_a_probe_closes_it()
    {
        FlakyFunction.Failing = true;
        var goals = Enumerable.Range(0, 6).Select(i => Definitions.NewGoalId($"flaky{i}")).ToArray();
        foreach (var id in goals)
        {
            await Goal(id).PutDefinitionAsync(Definitions.Queue(functions: ["test.flaky"]));
            await Goal(id).ObserveAsync([Depth(12)]);
            await Eventually.WaitAsync(() => Goal(id).GetSnapshotAsync(), s => s!.InFlight.Length == 0, "the flaky call to finish");
        }

        var catalog = fixture.Client.GetGrain<IFunctionCatalogGrain>(0);
        await Eventually.WaitAsync(async () => (await catalog.ListAsync()).Single(f => f.Descriptor.Name == "test.flaky").Stats.Circuit, c => c == "open", "the circuit to open");
        var late = Definitions.NewGoalId("flaky-late");
        await Goal(late).PutDefinitionAsync(Definitions.Queue(functions: ["test.flaky"]));
        await Goal(late).ObserveAsync([Depth(12)]);
        var refused = (await Goal(late).GetDecisionsAsync(1)).Single();
        Assert.Null(refused.Chosen);
        Assert.Equal("circuit open", refused.Candidates.Single().Excluded);
        Assert.Empty(TestFunctionLog.CallsFor(late));

        FlakyFunction.Failing = false;
        var probe = await Eventually.WaitAsync(
            async () =>
            {
                await Goal(late).ObserveAsync([Depth(12)]);
                return (await Goal(late).GetDecisionsAsync(1)).Single();
            },
            d => d.Chosen == "test.flaky",
            "a half-open probe once the break is over",
            TimeSpan.FromSeconds(10));
        await Eventually.WaitAsync(() => Goal(late).GetDecisionsAsync(1), d => d[0].Seq >= probe.Seq && d.All(x => x.Chosen is null || x.Outcome is not null), "the probe's outcome");
        Assert.Equal("closed", (await catalog.ListAsync()).Single(f => f.Descriptor.Name == "test.flaky").Stats.Circuit);
    }
}
