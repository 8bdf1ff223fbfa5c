using System.Collections.Concurrent;

namespace Mdl.Audit;

/// <summary>
/// The audit log in memory, for test clusters: the same chaining, checks and ordering as <see cref="SqliteAuditLog"/>,
/// gone when the process ends. Each silo has its own, so it suits single-silo clusters.
/// </summary>
public sealed class InMemoryAuditLog : IAuditLog
{
    private readonly ConcurrentDictionary<string, List<AuditEntry>> _chains = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<AuditEntry> AppendAsync(AuditRecord entry, CancellationToken cancellationToken = default)
    {
        AuditRecords.Check(entry);
        cancellationToken.ThrowIfCancellationRequested();
        var chain = _chains.GetOrAdd(entry.GoalId, static _ => []);

        // The lock makes read-last-then-add one step per goal, as the SQLite log's transaction does.
        lock (chain)
        {
            var last = chain.Count == 0 ? null : chain[^1];
            var sealedEntry = AuditChain.Seal(
                entry.GoalId, (last?.Seq ?? 0) + 1, entry.Time, entry.Kind, entry.Data, last?.Hash ?? AuditChain.GenesisHash);
            chain.Add(sealedEntry);
            return Task.FromResult(sealedEntry);
        }
    }

    /// <inheritdoc />
    public Task<AuditEntry[]> ReadAsync(string goalId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        AuditRecords.CheckRead(goalId, afterSeq, limit);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_chains.TryGetValue(goalId, out var chain))
        {
            return Task.FromResult(Array.Empty<AuditEntry>());
        }

        lock (chain)
        {
            // Entry #n sits at index n - 1.
            var start = (int)Math.Min(afterSeq, chain.Count);
            var count = Math.Min(limit, chain.Count - start);
            return Task.FromResult(chain.GetRange(start, count).ToArray());
        }
    }
}
