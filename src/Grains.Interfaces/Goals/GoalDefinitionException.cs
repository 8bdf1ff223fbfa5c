namespace Mdl.Goals;

/// <summary>A goal definition was refused; <see cref="Errors"/> names each bad field (e.g. <c>objectives[0].op</c>).</summary>
[GenerateSerializer, Alias("mdl.GoalDefinitionException")]
public sealed class GoalDefinitionException : Exception
{
    /// <summary>Creates the exception from field errors.</summary>
    public GoalDefinitionException(Dictionary<string, string[]> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Field path → what is wrong with it.</summary>
    [Id(0)] public Dictionary<string, string[]> Errors { get; }

    private static string Describe(Dictionary<string, string[]> errors) =>
        "Invalid goal definition: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
}

/// <summary>The goal was never defined (or an observation was sent to a deleted goal).</summary>
[GenerateSerializer, Alias("mdl.GoalNotFoundException")]
public sealed class GoalNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="goalId"/>.</summary>
    public GoalNotFoundException(string goalId, string message)
        : base(message)
    {
        GoalId = goalId;
    }

    /// <summary>The goal.</summary>
    [Id(0)] public string GoalId { get; }
}
