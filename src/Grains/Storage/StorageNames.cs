namespace Mdl.Storage;

/// <summary>Grain storage provider names: the one place they are spelt.</summary>
public static class StorageNames
{
    /// <summary>Goal state, the goal registry and scenario grains.</summary>
    public const string Goals = "goals";

    /// <summary>Explicit stream subscriptions (Orleans's well-known pub-sub store name).</summary>
    public const string PubSub = "PubSubStore";
}
