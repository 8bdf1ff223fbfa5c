using Mdl.Tests.Goals;
using Mdl.Scenarios.Engagement;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Scenarios.Engagement;

/// <summary>The engagement scenario's inbox: exactly-once records per idempotency key, and no activation held once it has recorded.</summary>
[Collection(ClusterCollection.Name)]
public sealed class UserInboxGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task An_inbox_leaves_memory_shortly_after_recording_a_nudge_and_a_repeat_of_its_key_still_returns_the_first_record()
    {
        var userId = Definitions.NewGoalId("inbox");
        var inbox = fixture.Client.GetGrain<IUserInboxGrain>(userId);
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var grainId = inbox.GetGrainId();

        var first = await inbox.PushAsync($"{userId}/1", "hello");
        await Eventually.WaitAsync(
            async () => (await management.GetActiveGrains(grainId.Type)).Contains(grainId), active => !active, "the inbox to deactivate");

        // Read back from storage by a new activation: the repeat is answered from the record, not sent again.
        var repeat = await inbox.PushAsync($"{userId}/1", "hello again");
        Assert.Equal(first, repeat);
        var recommended = await inbox.RecommendAsync($"{userId}/2", ["item-1"]);
        var recommendedAgain = await inbox.RecommendAsync($"{userId}/2", ["item-2"]);
        Assert.Equal(["item-1"], recommended);
        Assert.Equal(["item-1"], recommendedAgain);

        var contents = await inbox.GetAsync();
        Assert.Equal([first], contents.Notifications);
        Assert.Equal(["item-1"], contents.SeenItems);
    }
}
