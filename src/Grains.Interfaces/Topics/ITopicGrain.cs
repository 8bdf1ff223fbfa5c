using Mdl.Observations;

namespace Mdl.Topics;

/// <summary>
/// Publishes observations to a topic stream (key = topic name), fanning out to every goal subscribed to it.
/// Clients publish through this grain so they need no stream provider of their own.
/// </summary>
[Alias("mdl.ITopicGrain")]
public interface ITopicGrain : IGrainWithStringKey
{
    /// <summary>Publishes <paramref name="observations"/> in order; returns how many were handed to the stream.</summary>
    [Alias("Publish")]
    Task<int> PublishAsync(Observation[] observations);
}
