namespace Mdl.Audit;

/// <summary>
/// Checks a goal's audit chain one entry at a time, oldest first, so a long chain can be verified page by page
/// without holding it all. <see cref="AuditChain.Verify"/> is the one-shot form.
/// </summary>
public sealed class AuditChainVerifier
{
    private string? _goalId;

    /// <summary>Entries given so far, including the one that broke the chain.</summary>
    public long Count { get; private set; }

    /// <summary>The last intact entry's number (0 before any).</summary>
    public long LastSeq { get; private set; }

    /// <summary>
    /// The last intact entry's hash (<see cref="AuditChain.GenesisHash"/> before any). Kept elsewhere, it lets a later
    /// check notice entries cut off the end, which the chain alone cannot.
    /// </summary>
    public string Head { get; private set; } = AuditChain.GenesisHash;

    /// <summary>Where the chain first broke, or null while it is intact.</summary>
    public AuditBreak? Break { get; private set; }

    /// <summary>Checks the next entry; false once the chain is broken (later entries are then counted, not checked).</summary>
    public bool Add(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Count++;
        if (Break is not null)
        {
            return false;
        }

        Break = Check(entry);
        if (Break is not null)
        {
            return false;
        }

        _goalId ??= entry.GoalId;
        LastSeq = entry.Seq;
        Head = entry.Hash;
        return true;
    }

    private AuditBreak? Check(AuditEntry entry)
    {
        var expected = LastSeq + 1;
        if (entry.Seq > expected)
        {
            var missing = entry.Seq == expected + 1 ? $"entry #{expected} is missing" : $"entries #{expected} to #{entry.Seq - 1} are missing";
            var context = LastSeq == 0 ? $"the chain starts at #{entry.Seq}" : $"#{LastSeq} is followed by #{entry.Seq}";
            return new AuditBreak(expected, AuditBreakKind.Gap, $"gap in seq: {missing} ({context})");
        }

        if (entry.Seq < expected)
        {
            return new AuditBreak(entry.Seq, AuditBreakKind.OutOfOrder, $"seq out of order: #{entry.Seq} comes after #{LastSeq}");
        }

        if (_goalId is not null && !string.Equals(entry.GoalId, _goalId, StringComparison.Ordinal))
        {
            return new AuditBreak(entry.Seq, AuditBreakKind.ForeignEntry, $"foreign entry: it belongs to goal '{entry.GoalId}', not '{_goalId}'");
        }

        if (!string.Equals(entry.PrevHash, Head, StringComparison.Ordinal))
        {
            var previous = LastSeq == 0 ? "a chain's first entry must record the genesis hash" : $"entry #{LastSeq} hashes to {AuditChain.Short(Head)}";
            return new AuditBreak(
                entry.Seq,
                AuditBreakKind.PrevHashMismatch,
                $"prev-hash mismatch: it records {AuditChain.Short(entry.PrevHash)} but {previous}; an entry before it was replaced, or this one was");
        }

        var actual = AuditChain.Hash(entry.PrevHash, entry);
        if (!string.Equals(entry.Hash, actual, StringComparison.Ordinal))
        {
            return new AuditBreak(
                entry.Seq,
                AuditBreakKind.HashMismatch,
                $"hash mismatch: it records {AuditChain.Short(entry.Hash)} but its content hashes to {AuditChain.Short(actual)}; its content or its hash was altered");
        }

        return null;
    }
}

/// <summary>Where and why a goal's audit chain is broken.</summary>
/// <param name="Seq">The first broken entry's number (for a gap: the first missing number).</param>
/// <param name="Kind">What is wrong with it.</param>
/// <param name="Reason">One line for people, e.g. <c>hash mismatch: …</c>.</param>
[GenerateSerializer, Immutable, Alias("mdl.AuditBreak")]
public sealed record AuditBreak(
    [property: Id(0)] long Seq,
    [property: Id(1)] AuditBreakKind Kind,
    [property: Id(2)] string Reason);

/// <summary>The ways an audit chain can break.</summary>
[GenerateSerializer, Alias("mdl.AuditBreakKind")]
public enum AuditBreakKind
{
    /// <summary>An entry's stored hash is not the hash of its content: the content or the hash was altered.</summary>
    HashMismatch,

    /// <summary>An entry does not record the hash of the entry before it: something before it was replaced, or it was.</summary>
    PrevHashMismatch,

    /// <summary>Numbers are skipped: entries were removed.</summary>
    Gap,

    /// <summary>A number repeats or goes back.</summary>
    OutOfOrder,

    /// <summary>An entry of another goal sits in the chain.</summary>
    ForeignEntry,
}

/// <summary>The result of recomputing a goal's audit chain.</summary>
/// <param name="GoalId">The goal.</param>
/// <param name="Entries">How many entries were read.</param>
/// <param name="Head">The hash of the last intact entry (<see cref="AuditChain.GenesisHash"/> for an empty chain).</param>
/// <param name="Break">The first broken entry, or null when the chain is intact.</param>
[GenerateSerializer, Immutable, Alias("mdl.AuditVerification")]
public sealed record AuditVerification(
    [property: Id(0)] string GoalId,
    [property: Id(1)] long Entries,
    [property: Id(2)] string Head,
    [property: Id(3)] AuditBreak? Break)
{
    /// <summary>Whether every entry checked out.</summary>
    public bool Intact => Break is null;
}
