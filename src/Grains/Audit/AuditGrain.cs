using Orleans.Concurrency;

namespace Mdl.Audit;

/// <summary>
/// Serves audit chains to clients (the SDK, the CLI, the HTTP API) from the silo's <see cref="IAuditLog"/>. A stateless
/// worker: it holds nothing, so every silo answers locally and reads scale with the silos.
/// </summary>
[StatelessWorker]
internal sealed class AuditGrain(IAuditLog log) : Grain, IAuditGrain
{
    /// <inheritdoc />
    public Task<AuditEntry[]> ReadAsync(string goalId, long afterSeq, int limit) =>
        log.ReadAsync(goalId, afterSeq, limit);
}
