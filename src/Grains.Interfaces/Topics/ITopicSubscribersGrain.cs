using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Topics;

/// <summary>
/// One shard of a topic's subscribed goals (key <c>N/topic</c>, see <see cref="TopicSubscribers"/>), kept durably and
/// delivered to by direct calls. Sharded so that subscribing rewrites a small set rather than one holding every goal.
/// </summary>
[Alias("mdl.ITopicSubscribersGrain")]
public interface ITopicSubscribersGrain : IGrainWithStringKey
{
    /// <summary>Adds a goal (no write if it is already there).</summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(string goalId);

    /// <summary>Removes a goal (no write if it is not there).</summary>
    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(string goalId);

    /// <summary>Hands <paramref name="observations"/> to every goal in this shard; returns once each has acknowledged them.</summary>
    [Alias("Deliver")]
    Task<int> DeliverAsync(Observation[] observations);
}

/// <summary>Where a goal's subscription to a topic is kept, and every shard of a topic.</summary>
public static class TopicSubscribers
{
    /// <summary>Shards per topic. Changing it moves subscriptions between shards: it is fixed.</summary>
    public const int Shards = 256;

    /// <summary>The shard of <paramref name="topic"/> that holds <paramref name="goalId"/>.</summary>
    public static ITopicSubscribersGrain For(IGrainFactory grains, string topic, string goalId) =>
        Shard(grains, topic, (int)(StableHash.Of(goalId) % Shards));

    /// <summary>Every shard of <paramref name="topic"/>.</summary>
    public static IEnumerable<ITopicSubscribersGrain> All(IGrainFactory grains, string topic) =>
        Enumerable.Range(0, Shards).Select(shard => Shard(grains, topic, shard));

    private static ITopicSubscribersGrain Shard(IGrainFactory grains, string topic, int shard) =>
        grains.GetGrain<ITopicSubscribersGrain>($"{shard}/{topic}");
}
