using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Mdl.Silo.Health;

/// <summary>Ready once this silo is an active member of its cluster, so traffic is only routed to silos that can serve it.</summary>
internal sealed class SiloReadinessCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy("silo active")
            : HealthCheckResult.Unhealthy($"silo {status.ToString().ToLowerInvariant()}"));
    }
}
