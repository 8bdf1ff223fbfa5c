using Mdl.Goals;
using Mdl.Observations;
using Mdl.Storage;
using Microsoft.Extensions.Logging;

namespace Mdl.Topics;

/// <summary>
/// One shard of a topic's subscribers. Replaces Orleans's pub-sub rendezvous grain for topics, which kept every consumer
/// of a stream in one state rewritten on each subscription (O(n) per goal defined) and held a subscription handle per goal.
/// </summary>
internal sealed class TopicSubscribersGrain(
    [PersistentState("subscribers", StorageNames.Goals)] IPersistentState<TopicSubscribersState> state,
    GrainReferences<IGoalGrain> goals,
    ILogger<TopicSubscribersGrain> logger) : Grain, ITopicSubscribersGrain
{
    // Goals called at once during a delivery: enough to overlap their writes, few enough not to flood the silo.
    private const int DeliveryBatch = 128;

    /// <inheritdoc />
    public async Task SubscribeAsync(string goalId)
    {
        if (state.State.Goals.Add(goalId))
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public async Task UnsubscribeAsync(string goalId)
    {
        if (state.State.Goals.Remove(goalId))
        {
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public async Task<int> DeliverAsync(Observation[] observations)
    {
        var goals = state.State.Goals.ToArray();
        foreach (var batch in goals.Chunk(DeliveryBatch))
        {
            await Task.WhenAll(batch.Select(goalId => DeliverToAsync(goalId, observations)));
        }

        return goals.Length;
    }

    private async Task DeliverToAsync(string goalId, Observation[] observations)
    {
        try
        {
            await goals.For(goalId).ObserveAsync(observations);
        }
        catch (GoalNotFoundException)
        {
            // Deleted while the observation was on its way: its unsubscribe is on its way too.
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Topic {Topic} could not deliver to goal {GoalId}", this.GetPrimaryKeyString(), goalId);
            throw;
        }
    }
}

/// <summary>A topic shard's persisted subscribers.</summary>
[GenerateSerializer, Alias("mdl.TopicSubscribersState")]
public sealed class TopicSubscribersState
{
    /// <summary>The subscribed goal ids.</summary>
    [Id(0)] public HashSet<string> Goals { get; set; } = new(StringComparer.Ordinal);
}
