using Mdl.Goals;
using Mdl.Observations;
using Mdl.Streams;
using Mdl.Topics;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Streams;

/// <summary>The push streams as the real silo host wires them (embedded mode), published to through its own client.</summary>
[Collection(SiloCollection.Name)]
public sealed class PushStreamSiloTests(SiloFixture fixture)
{
    [Fact]
    public async Task The_goal_stream_and_then_a_topic_reach_the_goal_in_the_embedded_silo()
    {
        var id = Definitions.NewGoalId("silo-stream");
        var topic = Definitions.NewGoalId("silo-topic");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        // The real host offers only the built-in functions; this goal never acts on them, it only observes.
        await goal.PutDefinitionAsync(Definitions.Queue(topics: [topic], functions: ["recommend.items"]));
        var provider = fixture.Client.GetStreamProvider(StreamNames.Provider);

        await provider.GetStream<Observation>(StreamId.Create(StreamNames.GoalNamespace, id))
            .OnNextAsync(new Observation("queue.sample", new { depth = 20 }));
        await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.Metrics.GetValueOrDefault("queue.depth") == 20, "the goal's own stream");

        // Topics are not streams (their subscribers are product-owned shards that call goals directly), but the same
        // goal hears one after its stream delivery.
        Assert.Equal(1, await fixture.Client.GetGrain<ITopicGrain>(topic).PublishAsync([new Observation("queue.sample", new { depth = 30 })]));
        await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.Metrics.GetValueOrDefault("queue.depth") == 30, "the topic");
    }
}
