using System.Text.Json;

namespace Mdl.Audit;

/// <summary>What every <see cref="IAuditLog"/> checks and how stored fields are read back, in one place.</summary>
internal static class AuditRecords
{
    /// <summary>Refuses a record that cannot be chained: no goal, no kind.</summary>
    public static void Check(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrWhiteSpace(record.GoalId))
        {
            throw new ArgumentException("the audit record's goal id must not be empty", nameof(record));
        }

        if (string.IsNullOrWhiteSpace(record.Kind))
        {
            throw new ArgumentException("the audit record's kind must not be empty", nameof(record));
        }
    }

    /// <summary>Refuses a read outside the contract: an empty goal id, a negative position, a limit outside 1..<see cref="IAuditGrain.MaxPageSize"/>.</summary>
    public static void CheckRead(string goalId, long afterSeq, int limit)
    {
        if (string.IsNullOrWhiteSpace(goalId))
        {
            throw new ArgumentException("goalId must not be empty", nameof(goalId));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        if (limit is < 1 or > IAuditGrain.MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"limit must be between 1 and {IAuditGrain.MaxPageSize}");
        }
    }

    /// <summary>
    /// A stored time; text not in <see cref="AuditChain.TimeFormat"/> (someone edited it) reads as
    /// <see cref="DateTimeOffset.MinValue"/>, so the entry fails verification instead of the read failing.
    /// </summary>
    public static DateTimeOffset ParseStoredTime(string text)
    {
        try
        {
            return AuditChain.ParseTime(text);
        }
        catch (FormatException)
        {
            return DateTimeOffset.MinValue;
        }
    }

    /// <summary>Stored data; text that is not JSON (someone edited it) reads as a JSON string of that text, which fails verification.</summary>
    public static JsonElement ParseStoredData(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text);
        }
    }

    /// <summary>
    /// An entry's columns as every store keeps them: time in <see cref="AuditChain.TimeFormat"/> and data as its
    /// canonical JSON — exactly the text that was hashed, so a read gives back what verifies.
    /// </summary>
    public static IEnumerable<(string Column, object Value)> StoredColumns(AuditEntry entry)
    {
        yield return ("goal_id", entry.GoalId);
        yield return ("seq", entry.Seq);
        yield return ("time", AuditChain.FormatTime(entry.Time));
        yield return ("kind", entry.Kind);
        yield return ("data", entry.Data.GetRawText());
        yield return ("prev_hash", entry.PrevHash);
        yield return ("hash", entry.Hash);
    }
}
