using System.Text.Json;

namespace Mdl.Audit;

/// <summary>
/// A goal's tamper-evident audit log: every definition change, decision, call, outcome, refusal and pause, each entry
/// carrying the hash of the one before. Append-only: the product has no code path that updates or deletes an entry.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends <paramref name="entry"/> to the chain of its goal and returns it as stored (with sequence number and hashes).</summary>
    Task<AuditEntry> AppendAsync(AuditRecord entry, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> entries of <paramref name="goalId"/> with a sequence number above <paramref name="afterSeq"/>, oldest first.</summary>
    Task<AuditEntry[]> ReadAsync(string goalId, long afterSeq, int limit, CancellationToken cancellationToken = default);
}

/// <summary>What is to be audited, before it is chained.</summary>
/// <param name="GoalId">The goal whose chain it joins.</param>
/// <param name="Kind">One of <see cref="AuditKinds"/>.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Data">The details, sensitive fields already masked.</param>
public sealed record AuditRecord(string GoalId, string Kind, DateTimeOffset Time, JsonElement Data);

/// <summary>The kinds of audited events.</summary>
public static class AuditKinds
{
    /// <summary>A definition was put.</summary>
    public const string Defined = "definition";

    /// <summary>The goal was deleted.</summary>
    public const string Deleted = "deleted";

    /// <summary>The goal was paused.</summary>
    public const string Paused = "paused";

    /// <summary>The goal was resumed.</summary>
    public const string Resumed = "resumed";

    /// <summary>A Decide step was recorded.</summary>
    public const string Decision = "decision";

    /// <summary>A function was called.</summary>
    public const string Call = "call";

    /// <summary>A call's outcome came back.</summary>
    public const string Outcome = "outcome";

    /// <summary>A call was refused for lack of a grant or permission.</summary>
    public const string Refusal = "refusal";
}
