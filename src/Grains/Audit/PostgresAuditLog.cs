using Npgsql;

namespace Mdl.Audit;

/// <summary>
/// The audit log in PostgreSQL (production mode): table <c>mdl_audit_log</c>, one row per entry, keyed by
/// (goal id, seq). The table and its append-only triggers come from the silo's migrations, not from this class.
/// </summary>
/// <remarks>
/// <para>
/// Append-only: this class has no statement that changes or removes a row, and the table's triggers refuse any that
/// someone else issues. Neither stops a superuser; the hash chain is what makes such an edit visible
/// (<see cref="AuditChain.Verify"/>).
/// </para>
/// <para>
/// An append takes a transaction-scoped advisory lock on the goal, reads its last (seq, hash) and inserts the next
/// entry, so appends to one goal chain correctly from any number of silos — which matters in the seconds after a
/// silo dies, when a goal's old activation may still be finishing while its new one starts elsewhere. The primary key
/// would refuse a duplicate seq anyway; the lock makes the second writer wait instead of fail.
/// </para>
/// </remarks>
public sealed class PostgresAuditLog : IAuditLog, IAsyncDisposable
{
    // Salt for the per-goal advisory locks, so they cannot collide with the migrator's or other code's lock keys.
    private const int LockSpace = 0x4d444c41; // "MDLA"

    /// <summary>The most connections the log opens, whatever the connection string allows.</summary>
    public const int MaxConnections = 16;

    private const string AppendSql = """
        SELECT pg_advisory_xact_lock(@lock_space, hashtext(@goal_id));
        SELECT seq, hash FROM mdl_audit_log WHERE goal_id = @goal_id ORDER BY seq DESC LIMIT 1;
        """;

    private const string InsertSql = """
        INSERT INTO mdl_audit_log (goal_id, seq, time, kind, data, prev_hash, hash)
        VALUES (@goal_id, @seq, @time, @kind, @data, @prev_hash, @hash);
        """;

    private const string SelectPageSql = """
        SELECT seq, time, kind, data, prev_hash, hash FROM mdl_audit_log
        WHERE goal_id = @goal_id AND seq > @after_seq
        ORDER BY seq
        LIMIT @limit;
        """;

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates the log over the database <paramref name="connectionString"/> names; nothing connects until the first call.</summary>
    public PostgresAuditLog(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // Appends to one goal queue on its advisory lock, each holding a connection while it waits; a small pool
        // makes a burst queue here instead of using up the server's connections, which the silo's providers share.
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        settings.MaxPoolSize = Math.Min(settings.MaxPoolSize, MaxConnections);
        settings.MinPoolSize = Math.Min(settings.MinPoolSize, settings.MaxPoolSize);
        _dataSource = NpgsqlDataSource.Create(settings);
    }

    /// <inheritdoc />
    public async Task<AuditEntry> AppendAsync(AuditRecord entry, CancellationToken cancellationToken = default)
    {
        AuditRecords.Check(entry);

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        long lastSeq = 0;
        var lastHash = AuditChain.GenesisHash;
        await using (var select = new NpgsqlCommand(AppendSql, connection, transaction))
        {
            select.Parameters.AddWithValue("lock_space", LockSpace);
            select.Parameters.AddWithValue("goal_id", entry.GoalId);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);

            // The first result is the lock's (void) row; the second is the goal's last entry, if any.
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                lastSeq = reader.GetInt64(0);
                lastHash = reader.GetString(1);
            }
        }

        var sealedEntry = AuditChain.Seal(entry.GoalId, lastSeq + 1, entry.Time, entry.Kind, entry.Data, lastHash);
        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        {
            foreach (var (column, value) in AuditRecords.StoredColumns(sealedEntry))
            {
                insert.Parameters.AddWithValue(column, value);
            }

            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // Once the commit starts it finishes: a cancelled append has been chained entirely or not at all.
        await transaction.CommitAsync(CancellationToken.None);
        return sealedEntry;
    }

    /// <inheritdoc />
    public async Task<AuditEntry[]> ReadAsync(string goalId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        AuditRecords.CheckRead(goalId, afterSeq, limit);

        await using var command = _dataSource.CreateCommand(SelectPageSql);
        command.Parameters.AddWithValue("goal_id", goalId);
        command.Parameters.AddWithValue("after_seq", afterSeq);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry
            {
                GoalId = goalId,
                Seq = reader.GetInt64(0),
                Time = AuditRecords.ParseStoredTime(reader.GetString(1)),
                Kind = reader.GetString(2),
                Data = AuditRecords.ParseStoredData(reader.GetString(3)),
                PrevHash = reader.GetString(4),
                Hash = reader.GetString(5),
            });
        }

        return [.. entries];
    }

    /// <summary>Closes the pooled connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
