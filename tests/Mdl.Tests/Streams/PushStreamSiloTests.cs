using Mdl.Goals;
using Mdl.Observations;
using Mdl.Streams;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Streams;

/// <summary>The push streams as the real silo host wires them (embedded mode), published to through its own client.</summary>
[Collection(SiloCollection.Name)]
public sealed class PushStreamSiloTests(SiloFixture fixture)
{
    [Fact]
    public async Task Goal_stream_and_topic_stream_both_reach_the_goal_in_the_embedded_silo()
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

        await provider.GetStream<Observation>(StreamId.Create(StreamNames.TopicNamespace, topic))
            .OnNextAsync(new Observation("queue.sample", new { depth = 30 }));
        await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.Metrics.GetValueOrDefault("queue.depth") == 30, "the topic stream");
    }
}
