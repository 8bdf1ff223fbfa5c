using Mdl.Decisions;

namespace Mdl.Goals;

/// <summary>
/// One page of a goal's decision history: a batch of decisions moved out of the goal's main state (written ahead of every
/// action, so it must not carry every past decision), stored as a state of its own and written once, or a few times while
/// it fills (<see cref="DecisionHistoryStorage"/>, <see cref="DecisionPageIndex"/>). Before pages, a goal's whole history
/// was one such state: it is read as the oldest page.
/// </summary>
[GenerateSerializer, Alias("mdl.DecisionHistoryState")]
public sealed class DecisionHistoryState
{
    /// <summary>The page's decisions, oldest first.</summary>
    [Id(1)] public DecisionArchive Decisions { get; set; } = [];

    /// <summary>
    /// The page's number: later pages have higher ones. 0 for the history stored before pages; pages start at 1. A slot's
    /// page is overwritten once newer pages hold the history's length, so the number tells which page a slot holds.
    /// </summary>
    [Id(2)] public long Page { get; set; }

    /// <summary>The history as states stored it before its decisions were one block of each record's bytes; read, never written.</summary>
    [Id(0)]
    public List<DecisionRecord>? LegacyDecisions
    {
        get => null;
        set
        {
            if (value is { Count: > 0 } && Decisions.Count == 0)
            {
                Decisions = [.. value];
            }
        }
    }
}

/// <summary>Merging decision records by sequence number, shared by the history and the views over it.</summary>
public static class DecisionMerge
{
    /// <summary>
    /// Whether <paramref name="incoming"/> should replace <paramref name="existing"/> (same seq). A record only ever
    /// changes by gaining its outcome, so the one with an outcome is the newer; a stale copy (written before the outcome)
    /// never overwrites it.
    /// </summary>
    public static bool Supersedes(DecisionRecord incoming, DecisionRecord existing) =>
        incoming.Outcome is not null || existing.Outcome is null;

    /// <summary>
    /// The record to keep when <paramref name="incoming"/> meets <paramref name="existing"/> (same seq). An outcome that
    /// arrives for a decision already archived may ride on a bare record (seq, function, outcome); since a record only
    /// ever changes by gaining its outcome, the outcome is put on the record kept rather than the bare one replacing it.
    /// </summary>
    public static DecisionRecord Merge(DecisionRecord existing, DecisionRecord incoming)
    {
        if (!Supersedes(incoming, existing))
        {
            return existing;
        }

        return incoming.Outcome is not null && existing.Outcome is null && !ReferenceEquals(incoming, existing)
            ? existing with { Outcome = incoming.Outcome }
            : incoming;
    }

    /// <summary>Merges <paramref name="records"/> into <paramref name="history"/> (sorted by seq), keeping the newest <paramref name="keep"/>.</summary>
    public static void Into(List<DecisionRecord> history, IEnumerable<DecisionRecord> records, int keep)
    {
        foreach (var record in records)
        {
            var index = FindIndex(history, record.Seq);
            if (index >= 0)
            {
                history[index] = Merge(history[index], record);

                continue;
            }

            history.Insert(InsertionPoint(history, record.Seq, static r => r.Seq), record);
        }

        var excess = history.Count - keep;
        if (excess > 0)
        {
            history.RemoveRange(0, excess);
        }
    }

    /// <summary>The index of the record with <paramref name="seq"/> in a list sorted by seq, searching from the newest end; −1 if absent.</summary>
    public static int FindIndex(List<DecisionRecord> records, long seq) => FindIndex(records, seq, static r => r.Seq);

    /// <summary>The index of <paramref name="seq"/> in <paramref name="items"/> (sorted by seq), searched from the newest end; -1 when absent.</summary>
    internal static int FindIndex<T>(List<T> items, long seq, Func<T, long> seqOf)
    {
        for (var i = items.Count - 1; i >= 0; i--)
        {
            var at = seqOf(items[i]);
            if (at == seq)
            {
                return i;
            }

            if (at < seq)
            {
                break;
            }
        }

        return -1;
    }

    /// <summary>
    /// Whether <paramref name="records"/> holds <paramref name="record"/> itself. Records are compared by reference, not by
    /// value (a C# record's equality): a decision that gained its outcome is a new record, and only the one a write carried counts.
    /// </summary>
    internal static bool HoldsSame(IReadOnlyList<DecisionRecord> records, DecisionRecord record)
    {
        for (var i = 0; i < records.Count; i++)
        {
            if (ReferenceEquals(records[i], record))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Where an item of <paramref name="seq"/> goes in <paramref name="items"/> (sorted by seq): almost always the end.</summary>
    internal static int InsertionPoint<T>(List<T> items, long seq, Func<T, long> seqOf)
    {
        var at = items.Count;
        while (at > 0 && seqOf(items[at - 1]) > seq)
        {
            at--;
        }

        return at;
    }
}
