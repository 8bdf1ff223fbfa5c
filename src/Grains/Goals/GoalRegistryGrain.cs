using Mdl.Storage;

namespace Mdl.Goals;

/// <summary>Keeps the list of goals for <c>mdl goals list</c>; only definition changes touch it, never observations.</summary>
internal sealed class GoalRegistryGrain(
    [PersistentState("registry", StorageNames.Goals)] IPersistentState<GoalRegistryState> state) : Grain, IGoalRegistryGrain
{
    /// <inheritdoc />
    public async Task SetAsync(string goalId, string status)
    {
        if (state.State.Goals.TryGetValue(goalId, out var current) && current == status)
        {
            return;
        }

        state.State.Goals[goalId] = status;
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<GoalListing[]> ListAsync() => Task.FromResult(
        state.State.Goals.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new GoalListing(g.Key, g.Value)).ToArray());
}

/// <summary>The registry's persisted state.</summary>
[GenerateSerializer, Alias("mdl.GoalRegistryState")]
public sealed class GoalRegistryState
{
    /// <summary>Goal id → status.</summary>
    [Id(0)] public Dictionary<string, string> Goals { get; set; } = [];
}
