using System.Text.Json;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Functions;

/// <summary>Least privilege on the call path: only the goal a call names may make it, and only with the permission.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrantTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_direct_call_from_a_client_is_refused_even_when_it_names_a_goal_and_its_grants()
    {
        var id = Definitions.NewGoalId("impostor");
        await fixture.Client.GetGrain<IGoalGrain>(id).PutDefinitionAsync(Definitions.Queue());
        var forged = new FunctionCall
        {
            Function = "test.drain",
            GoalId = id,
            IdempotencyKey = $"{id}/99",
            DecisionSeq = 99,
            Arguments = JsonSerializer.SerializeToElement(new { }),
            Grants = ["queue"],
        };

        var refused = await Assert.ThrowsAsync<FunctionCallRefusedException>(
            () => fixture.Client.GetGrain<IFunctionGrain>("test.drain").InvokeAsync(forged));

        Assert.Contains("functions are called by goals only", refused.Message);
        Assert.Empty(TestFunctionLog.CallsFor(id));
    }

    [Fact]
    public async Task A_result_record_from_anything_but_a_function_worker_is_refused()
    {
        var id = Definitions.NewGoalId("forged-result");
        await fixture.Client.GetGrain<IGoalGrain>(id).PutDefinitionAsync(Definitions.Queue());

        var refused = await Assert.ThrowsAsync<FunctionCallRefusedException>(
            () => fixture.Client.GetGrain<IGoalLedgerGrain>(id).RecordResultAsync($"{id}/1", FunctionResult.Success(new { forged = true })));

        Assert.Contains("function workers only", refused.Message);
    }

    [Fact]
    public async Task Explicit_grants_must_cover_every_allowed_function()
    {
        var id = Definitions.NewGoalId("grants");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);

        var refused = await Assert.ThrowsAsync<GoalDefinitionException>(
            () => goal.PutDefinitionAsync(Definitions.Queue() with { Grants = ["boost"] }));

        Assert.Contains("permission 'queue'", refused.Errors["allowedFunctions[0]"].Single());
        Assert.Null(await goal.GetSnapshotAsync());
    }

    [Fact]
    public async Task A_goal_with_the_grant_calls_through_the_filter()
    {
        var id = Definitions.NewGoalId("granted");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue() with { Grants = ["queue"] });

        await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);

        var decision = (await Eventually.WaitAsync(() => goal.GetDecisionsAsync(1), d => d.Length == 1 && d[0].Outcome is not null, "the outcome"))[0];
        Assert.Equal("succeeded", decision.Outcome!.Status);
        Assert.Equal(["queue"], TestFunctionLog.CallsFor(id).Single().Grants);
    }
}
