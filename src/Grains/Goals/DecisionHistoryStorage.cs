using Orleans.Storage;

namespace Mdl.Goals;

/// <summary>
/// A goal's <see cref="DecisionHistoryState"/> in grain storage, read and written directly rather than through a persistent
/// state, which Orleans would load with the goal and keep for the activation's life. Same state name and type as that
/// persistent state had, so histories stored before load unchanged.
/// </summary>
internal static class DecisionHistoryStorage
{
    /// <summary>The history's state name in grain storage.</summary>
    public const string StateName = "decisions";

    /// <summary>The goal's history as stored (empty, with no ETag, when none is), with the ETag its next write must match.</summary>
    public static async Task<StoredHistory> ReadAsync(IGrainStorage storage, GrainId goal)
    {
        var stored = new StoredHistory();
        await storage.ReadStateAsync(StateName, goal, stored);
        return stored;
    }

    /// <summary>Writes <paramref name="history"/>; fails if the stored history changed since it was read.</summary>
    public static Task WriteAsync(IGrainStorage storage, GrainId goal, StoredHistory history) =>
        storage.WriteStateAsync(StateName, goal, history);
}

/// <summary>A goal's history as read from storage, with the ETag its next write must match.</summary>
internal sealed class StoredHistory : IGrainState<DecisionHistoryState>
{
    private DecisionHistoryState _state = new();

    /// <summary>The history; empty when none is stored.</summary>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public DecisionHistoryState State
    {
        get => _state;
        set => _state = value ?? new DecisionHistoryState(); // a provider may hand back nothing for a state never written
    }

    /// <inheritdoc />
    public string? ETag { get; set; }

    /// <inheritdoc />
    public bool RecordExists { get; set; }
}
