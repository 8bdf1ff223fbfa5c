namespace Mdl.Goals;

/// <summary>
/// One shard of the list of goals ever defined, for listing (key: <c>shard-N</c>, see <see cref="GoalRegistry"/>).
/// Sharded so that defining a goal rewrites a small list rather than one that grows with every goal.
/// </summary>
[Alias("mdl.IGoalRegistryGrain")]
public interface IGoalRegistryGrain : IGrainWithStringKey
{
    /// <summary>Records that a goal is defined, paused or deleted.</summary>
    [Alias("Set")]
    Task SetAsync(string goalId, string status);

    /// <summary>Returns this shard's goal ids with their statuses, ordered by id.</summary>
    [Alias("List")]
    Task<GoalListing[]> ListAsync();
}

/// <summary>Where a goal is listed, and the whole list.</summary>
public static class GoalRegistry
{
    /// <summary>How many registry shards there are. Changing it moves goals between shards: it is fixed.</summary>
    public const int Shards = 64;

    /// <summary>The registry shard that lists <paramref name="goalId"/> (a stable FNV-1a hash, the same on every process).</summary>
    public static IGoalRegistryGrain For(IGrainFactory grains, string goalId) =>
        grains.GetGrain<IGoalRegistryGrain>($"shard-{StableHash.Of(goalId) % Shards}");

    /// <summary>Every goal with its status, ordered by id.</summary>
    public static async Task<GoalListing[]> ListAsync(IGrainFactory grains)
    {
        var shards = await Task.WhenAll(Enumerable.Range(0, Shards).Select(i => grains.GetGrain<IGoalRegistryGrain>($"shard-{i}").ListAsync()));
        return shards.SelectMany(s => s).OrderBy(g => g.GoalId, StringComparer.Ordinal).ToArray();
    }
}

/// <summary>A goal in the registry.</summary>
[GenerateSerializer, Immutable, Alias("mdl.GoalListing")]
public sealed record GoalListing([property: Id(0)] string GoalId, [property: Id(1)] string Status);
