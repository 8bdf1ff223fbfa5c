namespace Mdl.Streams;

/// <summary>Stream provider and namespaces: the one place their names are spelt.</summary>
public static class StreamNames
{
    /// <summary>The stream provider every silo and client registers.</summary>
    public const string Provider = "mdl";

    /// <summary>Each goal's own stream (key = goal id), implicitly subscribed by the goal.</summary>
    public const string GoalNamespace = "goal";
}
