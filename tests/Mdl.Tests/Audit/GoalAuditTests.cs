using System.Text.Json;
using Mdl.Audit;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Audit;

/// <summary>What a goal writes to its audit chain as it runs, on the test cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GoalAuditTests(ClusterFixture fixture)
{
    private IAuditGrain Audit => fixture.Client.GetGrain<IAuditGrain>(IAuditGrain.Key);

    [Fact]
    public async Task A_goal_that_acts_audits_definition_decision_call_and_outcome_in_an_intact_chain_with_sensitive_fields_masked()
    {
        var id = Definitions.NewGoalId("audited");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue() with { Sensitive = ["data.email"] });
        await goal.PauseAsync();
        await goal.ResumeAsync();

        await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12, email = "someone@example.com" })]);

        var entries = await Eventually.WaitAsync(
            () => Audit.ReadAsync(id, 0, 100),
            e => e.Any(x => x.Kind == AuditKinds.Outcome),
            "the outcome's audit entry");
        Assert.Equal(
            [AuditKinds.Defined, AuditKinds.Paused, AuditKinds.Resumed, AuditKinds.Decision, AuditKinds.Call, AuditKinds.Outcome],
            entries.Select(e => e.Kind));
        Assert.Null(AuditChain.Verify(entries));
        var decision = entries.Single(e => e.Kind == AuditKinds.Decision).Data;
        Assert.Equal("test.drain", decision.GetProperty("chosen").GetString());
        var data = decision.GetProperty("arguments").GetProperty("trigger").GetProperty("data");
        Assert.Equal("***", data.GetProperty("email").GetString());
        Assert.Equal(12, data.GetProperty("depth").GetInt32());
        Assert.DoesNotContain("someone@example.com", string.Join("\n", entries.Select(e => e.Data.GetRawText())));
    }

    [Fact]
    public async Task A_refused_direct_call_is_audited_in_the_named_goals_chain()
    {
        var id = Definitions.NewGoalId("refusal");
        await fixture.Client.GetGrain<IGoalGrain>(id).PutDefinitionAsync(Definitions.Queue());
        var forged = new FunctionCall { Function = "test.drain", GoalId = id, IdempotencyKey = $"{id}/7", Arguments = JsonSerializer.SerializeToElement(new { }), Grants = ["queue"] };

        await Assert.ThrowsAsync<FunctionCallRefusedException>(() => fixture.Client.GetGrain<IFunctionGrain>("test.drain").InvokeAsync(forged));

        var entries = await Eventually.WaitAsync(() => Audit.ReadAsync(id, 0, 100), e => e.Any(x => x.Kind == AuditKinds.Refusal), "the refusal entry");
        var refusal = entries.Single(e => e.Kind == AuditKinds.Refusal).Data;
        Assert.Equal($"{id}/7", refusal.GetProperty("idempotencyKey").GetString());
        Assert.Contains("goals only", refusal.GetProperty("reason").GetString());
        Assert.Null(AuditChain.Verify(entries));
    }
}
