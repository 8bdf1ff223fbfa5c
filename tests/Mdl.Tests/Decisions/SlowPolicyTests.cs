using Mdl.Goals;
using Mdl.Observations;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Decisions;

/// <summary>A policy that takes its time: the goal acts on its answer, and records the decision when it was made.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SlowPolicyTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_decision_is_stamped_when_the_policy_answered_not_when_the_observation_arrived()
    {
        var id = Definitions.NewGoalId("slow-policy");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue(functions: ["test.paced"]) with
        {
            Policy = new DecisionPolicyOptions { Name = SlowPolicy.PolicyName },
        });

        var sent = DateTimeOffset.UtcNow;
        var receipt = await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);
        var decisions = await Eventually.WaitAsync(
            () => goal.GetDecisionsAsync(10), d => d.Any(x => x.Outcome is not null), "the paced call's outcome");

        Assert.Equal(1, receipt.Accepted);
        var decision = Assert.Single(decisions);
        Assert.Equal(SlowPolicy.PolicyName, decision.Policy);
        Assert.Equal("test.paced", decision.Chosen);
        Assert.Equal("succeeded", decision.Outcome!.Status);

        // The clock is read again once the policy has answered; the observation's moment would be a pause too early.
        Assert.True(decision.Time - sent >= SlowPolicy.Pause - TimeSpan.FromMilliseconds(20),
            $"decided at {decision.Time:O}, {(decision.Time - sent).TotalMilliseconds:0} ms after the observation was sent");
    }
}
