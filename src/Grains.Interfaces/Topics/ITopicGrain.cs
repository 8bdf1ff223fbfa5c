using Mdl.Observations;

namespace Mdl.Topics;

/// <summary>
/// Publishes observations to a topic (key = topic name), fanning out to every goal subscribed to it through the topic's
/// subscriber shards (<see cref="ITopicSubscribersGrain"/>). Clients publish through this grain.
/// </summary>
[Alias("mdl.ITopicGrain")]
public interface ITopicGrain : IGrainWithStringKey
{
    /// <summary>Publishes <paramref name="observations"/> in order; returns how many, once every subscribed goal has acknowledged them.</summary>
    [Alias("Publish")]
    Task<int> PublishAsync(Observation[] observations);
}
