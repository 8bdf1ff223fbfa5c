using Mdl.Observations;
using Mdl.Streams;
using Orleans.Concurrency;

namespace Mdl.Topics;

/// <summary>A stateless publisher per topic: Orleans runs it on the caller's silo, next to the stream's producer side.</summary>
[StatelessWorker]
internal sealed class TopicGrain(TimeProvider time) : Grain, ITopicGrain
{
    /// <inheritdoc />
    public async Task<int> PublishAsync(Observation[] observations)
    {
        var stream = this.GetStreamProvider(StreamNames.Provider)
            .GetStream<Observation>(StreamId.Create(StreamNames.TopicNamespace, this.GetPrimaryKeyString()));
        foreach (var observation in observations)
        {
            await stream.OnNextAsync(observation.WithDefaults(time.GetUtcNow()));
        }

        return observations.Length;
    }
}
