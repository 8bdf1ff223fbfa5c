using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mdl.Audit;

/// <summary>Registers the silo's <see cref="IAuditLog"/>. The first registration wins; later ones are ignored.</summary>
public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// Keeps the audit log in the SQLite file at <paramref name="databasePath"/> (a full path; in embedded mode the
    /// silo's <c>mdl.db</c>, next to the grain state). The file is opened and the table created when the silo
    /// starts, so an unusable path fails the start rather than the first audited event.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="databasePath"/> is empty, relative or a directory.</exception>
    public static IServiceCollection AddSqliteAuditLog(this IServiceCollection services, string databasePath, TimeSpan? busyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (SqliteAuditLog.PathProblem(databasePath) is { } problem)
        {
            throw new ArgumentException($"SQLite audit log: {problem}", nameof(databasePath));
        }

        services.TryAddSingleton<IAuditLog>(sp => new SqliteAuditLog(
            databasePath,
            busyTimeout,
            sp.GetService<ILogger<SqliteAuditLog>>() ?? NullLogger<SqliteAuditLog>.Instance));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, AuditLogLifecycle>());
        return services;
    }

    /// <summary>
    /// Keeps the audit log in PostgreSQL (production mode), in table <c>mdl_audit_log</c> of the database
    /// <paramref name="connectionString"/> names; the silo's migrations create the table before Orleans starts.
    /// </summary>
    public static IServiceCollection AddPostgresAuditLog(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.TryAddSingleton<IAuditLog>(_ => new PostgresAuditLog(connectionString));
        return services;
    }

    /// <summary>Keeps the audit log in memory (test clusters): chained and checked like the SQLite one, lost on exit.</summary>
    public static IServiceCollection AddInMemoryAuditLog(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IAuditLog, InMemoryAuditLog>();
        return services;
    }

    /// <summary>Opens a SQLite audit log at silo start, before any grain activates; other logs need nothing.</summary>
    private sealed class AuditLogLifecycle(IAuditLog log) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle)
        {
            if (log is SqliteAuditLog sqlite)
            {
                lifecycle.Subscribe(nameof(SqliteAuditLog), ServiceLifecycleStage.ApplicationServices, sqlite.InitializeAsync);
            }
        }
    }
}
