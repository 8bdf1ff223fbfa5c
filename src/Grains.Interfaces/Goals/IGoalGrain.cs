using Mdl.Decisions;
using Mdl.Observations;

namespace Mdl.Goals;

/// <summary>A durable goal that runs Observe → Orient → Decide → Act on its own. Keyed by goal id (e.g. <c>user-55</c>).</summary>
[Alias("mdl.IGoalGrain")]
public interface IGoalGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the goal's definition; throws <see cref="GoalDefinitionException"/> and changes nothing when it is invalid.</summary>
    [Alias("PutDefinition")]
    Task<GoalSnapshot> PutDefinitionAsync(GoalDefinition definition);

    /// <summary>Returns the goal's snapshot, or null when it was never defined.</summary>
    [Alias("GetSnapshot")]
    Task<GoalSnapshot?> GetSnapshotAsync();

    /// <summary>Stops the goal observing and acting; its history remains. Returns false when it was never defined.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync();

    /// <summary>Stops the goal acting while it keeps observing; returns null when it was never defined.</summary>
    [Alias("Pause")]
    Task<GoalSnapshot?> PauseAsync();

    /// <summary>Lets a paused goal act again (it decides at once if an objective is violated); null when never defined.</summary>
    [Alias("Resume")]
    Task<GoalSnapshot?> ResumeAsync();

    /// <summary>Processes observations in order and returns once they are durably accepted.</summary>
    [Alias("Observe")]
    Task<ObserveReceipt> ObserveAsync(Observation[] observations);

    /// <summary>Returns up to <paramref name="limit"/> decisions, newest first.</summary>
    [Alias("GetDecisions")]
    Task<DecisionRecord[]> GetDecisionsAsync(int limit);

    /// <summary>Registers <paramref name="watcher"/> to be told of decisions; subscriptions expire unless renewed within a minute.</summary>
    [Alias("Watch")]
    Task WatchAsync(IDecisionWatcher watcher);

    /// <summary>Stops telling <paramref name="watcher"/> of decisions.</summary>
    [Alias("Unwatch")]
    Task UnwatchAsync(IDecisionWatcher watcher);
}
