using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mdl.Silo.Postgres;

/// <summary>
/// Brings a PostgreSQL database to the schema this build needs: tables, functions and the <c>orleansquery</c> rows the
/// Orleans ADO.NET providers read their SQL from. Each migration runs once, in its own transaction, and is recorded in
/// <c>mdl_schema_migrations</c> with its checksum. Silos starting together take turns on an advisory lock, so the
/// first applies what is missing and the others find nothing left to do.
/// </summary>
public sealed class PostgresMigrator(IReadOnlyList<PostgresMigration> migrations)
{
    /// <summary>
    /// The advisory lock key every Mdl silo takes while migrating ("MDLSCHEM" in ASCII). Fixed, so silos of any version
    /// exclude one another; per database, because PostgreSQL's advisory locks are.
    /// </summary>
    public const long AdvisoryLockKey = 0x4D444C5343484D;

    private const string CreateHistory = """
        CREATE TABLE IF NOT EXISTS mdl_schema_migrations
        (
            version    integer      PRIMARY KEY,
            name       varchar(200) NOT NULL,
            checksum   char(64)     NOT NULL,
            applied_at timestamptz  NOT NULL DEFAULT now()
        );
        """;

    /// <summary>A migrator for the migrations shipped with the silo.</summary>
    public PostgresMigrator()
        : this(PostgresMigration.Embedded())
    {
    }

    /// <summary>
    /// Applies the migrations the database does not have yet. Returns the names of those applied by this call (empty when
    /// the database was up to date).
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// An applied migration's script has changed since (checksum differs): a shipped migration must never be edited.
    /// </exception>
    public async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        // A session-level lock: it spans the per-migration transactions and is released when the connection closes,
        // even if this process dies half-way.
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null, CreateHistory, cancellationToken);
            var applied = await AppliedAsync(connection, cancellationToken);
            var done = new List<string>();
            foreach (var migration in migrations)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    RefuseIfChanged(migration, checksum);
                    continue;
                }

                await ApplyOneAsync(connection, migration, cancellationToken);
                logger.LogInformation("Applied PostgreSQL migration {Migration}", migration.Name);
                done.Add(migration.Name);
            }

            return done;
        }
        finally
        {
            // Not cancellable: the lock must be given back even when the start was cancelled.
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    private static void RefuseIfChanged(PostgresMigration migration, string appliedChecksum)
    {
        if (!string.Equals(appliedChecksum.Trim(), migration.Checksum, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"PostgreSQL migration {migration.Version} ({migration.Name}) was applied with checksum {appliedChecksum.Trim()}, " +
                $"but this build ships it with checksum {migration.Checksum}. An applied migration must never change: " +
                "restore the original script and put the change in a new migration with the next number.");
        }
    }

    private static async Task ApplyOneAsync(NpgsqlConnection connection, PostgresMigration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
        await using (var record = new NpgsqlCommand(
            "INSERT INTO mdl_schema_migrations (version, name, checksum) VALUES (@version, @name, @checksum)", connection, transaction))
        {
            record.Parameters.AddWithValue("version", migration.Version);
            record.Parameters.AddWithValue("name", migration.Name);
            record.Parameters.AddWithValue("checksum", migration.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<Dictionary<int, string>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM mdl_schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
