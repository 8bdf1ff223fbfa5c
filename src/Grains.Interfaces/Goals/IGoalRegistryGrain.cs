namespace Mdl.Goals;

/// <summary>The list of goals ever defined, for listing. One instance, key <see cref="Key"/>.</summary>
[Alias("mdl.IGoalRegistryGrain")]
public interface IGoalRegistryGrain : IGrainWithStringKey
{
    /// <summary>The registry's only key.</summary>
    const string Key = "all";

    /// <summary>Records that a goal is defined (or deleted).</summary>
    [Alias("Set")]
    Task SetAsync(string goalId, string status);

    /// <summary>Returns every goal id with its status, ordered by id.</summary>
    [Alias("List")]
    Task<GoalListing[]> ListAsync();
}

/// <summary>A goal in the registry.</summary>
[GenerateSerializer, Immutable, Alias("mdl.GoalListing")]
public sealed record GoalListing([property: Id(0)] string GoalId, [property: Id(1)] string Status);
