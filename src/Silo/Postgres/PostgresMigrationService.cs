namespace Mdl.Silo.Postgres;

/// <summary>
/// Applies the schema migrations when the host starts. Registered before Orleans, and hosted services start in
/// registration order, so the providers find their tables and queries when the silo joins the cluster.
/// </summary>
internal sealed class PostgresMigrationService(string connectionString, PostgresMigrator migrator, ILogger<PostgresMigrationService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await migrator.ApplyAsync(connectionString, logger, cancellationToken);
        logger.LogInformation(
            "PostgreSQL schema is current ({Count} migration(s) applied now)", applied.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
