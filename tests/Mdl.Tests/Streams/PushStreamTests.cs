using Mdl.Goals;
using Mdl.Observations;
using Mdl.Streams;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;
using Orleans.Streams;

namespace Mdl.Tests.Streams;

/// <summary>The push stream provider on the test cluster, published to by the cluster's client.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PushStreamTests(ClusterFixture fixture)
{
    private IAsyncStream<T> Stream<T>(string streamNamespace, string key) =>
        fixture.Client.GetStreamProvider(StreamNames.Provider).GetStream<T>(StreamId.Create(streamNamespace, key));

    private IStreamProbeGrain Probe(string key) => fixture.Client.GetGrain<IStreamProbeGrain>(key);

    [Fact]
    public async Task Observation_published_on_a_goal_stream_reaches_the_goal_through_its_implicit_subscription()
    {
        var id = Definitions.NewGoalId("own-stream");
        var goal = fixture.Client.GetGrain<IGoalGrain>(id);
        await goal.PutDefinitionAsync(Definitions.Queue());

        var observation = new Observation("queue.sample", new { depth = 20 });
        await Stream<Observation>(StreamNames.GoalNamespace, id).OnNextAsync(observation);

        await Eventually.WaitAsync(
            () => goal.GetSnapshotAsync(),
            s => s!.Metrics.GetValueOrDefault("queue.depth") == 20 && s.DecisionsMade > 0,
            "the goal to observe its stream and act");
        var decisions = await goal.GetDecisionsAsync(50);
        Assert.Equal(observation.Id, decisions[^1].Trigger.ObservationId);
    }

    [Fact]
    public async Task Events_published_one_after_another_arrive_in_order()
    {
        var key = Definitions.NewGoalId("order");
        var stream = Stream<int>(StreamProbeGrain.ImplicitNamespace, key);

        for (var i = 0; i < 200; i++)
        {
            await stream.OnNextAsync(i);
        }

        await stream.OnNextBatchAsync([200, 201, 202]);
        var expected = Enumerable.Range(0, 203).Select(i => $"implicit:{i}").ToArray();
        var received = await Eventually.WaitAsync(() => Probe(key).ReceivedAsync(), r => r.Length >= expected.Length, "203 events");
        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task Explicit_subscription_receives_what_is_published_after_it_and_the_implicit_one_still_works()
    {
        var key = Definitions.NewGoalId("explicit");
        var topic = Definitions.NewGoalId("probe-topic");
        await Probe(key).SubscribeAsync(topic);

        await Stream<int>(StreamProbeGrain.TopicNamespace, topic).OnNextAsync(1);
        await Stream<int>(StreamProbeGrain.ImplicitNamespace, key).OnNextAsync(2);
        await Stream<int>(StreamProbeGrain.TopicNamespace, topic).OnNextAsync(3);

        var received = await Eventually.WaitAsync(() => Probe(key).ReceivedAsync(), r => r.Length >= 3, "three events");
        Assert.Equal([$"{topic}:1", $"{topic}:3"], received.Where(r => r.StartsWith(topic, StringComparison.Ordinal)));
        Assert.Contains("implicit:2", received);
        Assert.Equal(3, received.Length);
    }

    [Fact]
    public async Task Concurrent_publishers_lose_nothing_and_each_keeps_its_own_order()
    {
        // 24 streams over the provider's 8 queues, 4 publishers per stream, each publishing its own 40 values in sequence.
        var keys = Enumerable.Range(0, 24).Select(_ => Definitions.NewGoalId("busy")).ToArray();
        const int Publishers = 4;
        const int PerPublisher = 40;

        await Task.WhenAll(keys.SelectMany(key => Enumerable.Range(0, Publishers).Select(publisher => Task.Run(async () =>
        {
            var stream = Stream<int>(StreamProbeGrain.ImplicitNamespace, key);
            for (var i = 0; i < PerPublisher; i++)
            {
                await stream.OnNextAsync((publisher * 1000) + i);
            }
        }))));

        foreach (var key in keys)
        {
            var received = await Eventually.WaitAsync(
                () => Probe(key).ReceivedAsync(), r => r.Length >= Publishers * PerPublisher, $"{Publishers * PerPublisher} events on {key}");
            var values = received.Select(r => int.Parse(r["implicit:".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(Publishers * PerPublisher, values.Length);
            for (var publisher = 0; publisher < Publishers; publisher++)
            {
                var own = values.Where(v => v / 1000 == publisher).ToArray();
                Assert.Equal(Enumerable.Range(publisher * 1000, PerPublisher), own);
            }
        }
    }

    [Fact]
    public async Task A_read_of_an_empty_queue_returns_as_soon_as_a_batch_is_enqueued()
    {
        var queue = fixture.Client.GetGrain<IPushQueueGrain>(Definitions.NewGoalId("queue"));
        var batch = new PushBatch(StreamId.Create("probe", "wake"), [1], RequestContext: null, Sequence: 0);

        // The read waits far longer than the test allows; only the publish can end it in time.
        var read = queue.DequeueAsync(10, TimeSpan.FromSeconds(25), CancellationToken.None);
        await queue.EnqueueAsync(batch);
        var batches = await read.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([1], Assert.Single(batches).Events);
    }

    [Fact]
    public async Task A_read_that_waits_in_vain_returns_nothing_and_leaves_later_batches_for_the_next_read()
    {
        var queue = fixture.Client.GetGrain<IPushQueueGrain>(Definitions.NewGoalId("queue"));

        var empty = await queue.DequeueAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        await queue.EnqueueAsync(new PushBatch(StreamId.Create("probe", "later"), [1], RequestContext: null, Sequence: 0));
        await queue.EnqueueAsync(new PushBatch(StreamId.Create("probe", "later"), [2], RequestContext: null, Sequence: 0));
        var next = await queue.DequeueAsync(10, TimeSpan.Zero, CancellationToken.None);

        Assert.Empty(empty);
        Assert.Equal([1, 2], next.SelectMany(b => b.Events).Cast<int>());
        Assert.True(next[0].Sequence < next[1].Sequence, "the queue orders the batches it hands out");
    }
}
