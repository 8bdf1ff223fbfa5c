using System.Text.Json;

namespace Mdl.Audit;

/// <summary>One entry of a goal's audit chain.</summary>
[GenerateSerializer, Immutable, Alias("mdl.AuditEntry")]
public sealed record AuditEntry
{
    /// <summary>The goal.</summary>
    [Id(0)] public string GoalId { get; init; } = "";

    /// <summary>Position in the goal's chain, from 1.</summary>
    [Id(1)] public long Seq { get; init; }

    /// <summary>When it happened.</summary>
    [Id(2)] public DateTimeOffset Time { get; init; }

    /// <summary>What happened (definition, decision, call, outcome, refusal, paused, resumed, deleted).</summary>
    [Id(3)] public string Kind { get; init; } = "";

    /// <summary>The details, with sensitive fields masked.</summary>
    [Id(4)] public JsonElement Data { get; init; }

    /// <summary>The previous entry's hash (64 zeros for the first).</summary>
    [Id(5)] public string PrevHash { get; init; } = "";

    /// <summary>SHA-256 (hex) over the previous hash and this entry's canonical content.</summary>
    [Id(6)] public string Hash { get; init; } = "";
}

/// <summary>Reads audit chains for clients (the SDK and CLI); runs on any silo.</summary>
[Alias("mdl.IAuditGrain")]
public interface IAuditGrain : IGrainWithIntegerKey
{
    /// <summary>The key clients use; a stateless worker, so any key reaches a local activation.</summary>
    const long Key = 0;

    /// <summary>The most entries one <see cref="ReadAsync"/> returns; a larger limit is refused.</summary>
    const int MaxPageSize = 1000;

    /// <summary>Up to <paramref name="limit"/> entries of <paramref name="goalId"/> after <paramref name="afterSeq"/>, oldest first.</summary>
    [Alias("Read")]
    Task<AuditEntry[]> ReadAsync(string goalId, long afterSeq, int limit);
}
