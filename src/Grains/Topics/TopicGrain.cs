using Mdl.Observations;
using Orleans.Concurrency;

namespace Mdl.Topics;

/// <summary>
/// A stateless publisher per topic, run on the caller's silo: it hands the observations to every shard of the topic's
/// subscribers, which call their goals directly. Every goal sees the same observation ids, so each dedupes a repeat.
/// </summary>
[StatelessWorker]
internal sealed class TopicGrain(TimeProvider time) : Grain, ITopicGrain
{
    /// <inheritdoc />
    public async Task<int> PublishAsync(Observation[] observations)
    {
        var now = time.GetUtcNow();
        var stamped = observations.Select(o => o.WithDefaults(now)).ToArray();
        await Task.WhenAll(TopicSubscribers.All(GrainFactory, this.GetPrimaryKeyString()).Select(shard => shard.DeliverAsync(stamped)));
        return observations.Length;
    }
}
