using Orleans.Storage;

namespace Mdl.Goals;

/// <summary>
/// A goal's decision history in grain storage: its pages (<see cref="DecisionHistoryState"/>), each a state of its own,
/// read and written directly rather than through persistent states, which Orleans would load with the goal and keep for the
/// activation's life. Slot <c>n</c> is the state <c>decisions.n</c>; the history stored before pages keeps its state name,
/// <see cref="StateName"/>, and is read as the oldest page.
/// </summary>
internal static class DecisionHistoryStorage
{
    /// <summary>The state name of the history stored before pages (and of the persistent state before that).</summary>
    public const string StateName = "decisions";

    private static readonly string[] SlotNames = [.. Enumerable.Range(0, 16).Select(slot => $"{StateName}.{slot}")];

    /// <summary>The state name of <paramref name="slot"/>.</summary>
    public static string PageStateName(int slot) => slot switch
    {
        DecisionPage.LegacySlot => StateName,
        >= 0 when slot < SlotNames.Length => SlotNames[slot],
        _ => $"{StateName}.{slot}",
    };

    /// <summary>
    /// Reads every stored slot of <paramref name="goal"/> (slots are taken lowest first, so up to the first one never
    /// stored) and the history stored before pages, and keeps the pages that hold the newest <paramref name="keep"/> decisions.
    /// </summary>
    public static async Task<DecisionPageIndex> LoadIndexAsync(IGrainStorage storage, GrainId goal, int keep)
    {
        var index = new DecisionPageIndex();
        for (var slot = DecisionPage.LegacySlot; ; slot++)
        {
            var page = await ReadAsync(storage, goal, slot);
            if (page.RecordExists)
            {
                index.Found(slot, page.ETag, page.State);
            }
            else if (slot != DecisionPage.LegacySlot)
            {
                break;
            }
        }

        index.Trim(keep);
        return index;
    }

    /// <summary>The page stored in <paramref name="slot"/> (empty, with no ETag, when none is), with the ETag its next write must match.</summary>
    public static async Task<StoredHistory> ReadAsync(IGrainStorage storage, GrainId goal, int slot)
    {
        var stored = new StoredHistory();
        await storage.ReadStateAsync(PageStateName(slot), goal, stored);
        return stored;
    }

    /// <summary>Writes <paramref name="page"/> to <paramref name="slot"/>; fails if the slot changed since its ETag was read.</summary>
    public static Task WriteAsync(IGrainStorage storage, GrainId goal, int slot, StoredHistory page) =>
        storage.WriteStateAsync(PageStateName(slot), goal, page);

    /// <summary>Clears <paramref name="slot"/>, stored with <paramref name="etag"/>.</summary>
    public static Task ClearAsync(IGrainStorage storage, GrainId goal, int slot, string? etag) =>
        storage.ClearStateAsync(PageStateName(slot), goal, new StoredHistory { ETag = etag, RecordExists = true });
}

/// <summary>A page of a goal's history as read from storage, with the ETag its next write must match.</summary>
internal sealed class StoredHistory : IGrainState<DecisionHistoryState>
{
    private DecisionHistoryState _state = new();

    /// <summary>The page; empty when none is stored.</summary>
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
