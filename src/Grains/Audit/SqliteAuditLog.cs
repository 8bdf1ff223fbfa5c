using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Mdl.Storage;

namespace Mdl.Audit;

/// <summary>
/// The audit log in a SQLite file — in embedded mode the same <c>mdl.db</c> as the grain state — in table
/// <c>audit_log</c>, one row per entry, keyed by (goal id, seq).
/// </summary>
/// <remarks>
/// <para>
/// Append-only: this class has no statement that changes or removes a row, and the table carries triggers that
/// abort any that someone else issues. Neither stops whoever holds the file from editing it; the hash chain is what
/// makes such an edit visible (<see cref="AuditChain.Verify"/>).
/// </para>
/// <para>
/// Appending reads the goal's last (seq, hash) and inserts the next entry in one <c>BEGIN IMMEDIATE</c>
/// transaction, so appends to one goal chain correctly however they interleave — from this process (they also queue
/// on the one writer connection) or another one (SQLite's write lock, waited for up to the busy timeout).
/// Durability as for the grain state (<see cref="SqliteGrainStorage"/>): WAL with <c>synchronous=FULL</c>, so an
/// entry is on disk before the append returns.
/// </para>
/// <para>
/// Microsoft.Data.Sqlite's async methods run synchronously, so the database work runs on the thread pool, never on
/// the calling grain's scheduler.
/// </para>
/// </remarks>
public sealed partial class SqliteAuditLog : IAuditLog, IDisposable
{
    private const string AppendOnlyMessage = "audit_log is append-only";

    // The triggers guard against other code and hand edits with the sqlite3 shell; they are no substitute for the chain.
    private const string CreateSchemaSql = $"""
        CREATE TABLE IF NOT EXISTS audit_log (
            goal_id   TEXT    NOT NULL,
            seq       INTEGER NOT NULL,
            time      TEXT    NOT NULL,
            kind      TEXT    NOT NULL,
            data      TEXT    NOT NULL,
            prev_hash TEXT    NOT NULL,
            hash      TEXT    NOT NULL,
            PRIMARY KEY (goal_id, seq)
        );
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{AppendOnlyMessage}'); END;
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{AppendOnlyMessage}'); END;
        """;

    private const string SelectLastSql =
        "SELECT seq, hash FROM audit_log WHERE goal_id = $goal_id ORDER BY seq DESC LIMIT 1;";

    private const string InsertSql = """
        INSERT INTO audit_log (goal_id, seq, time, kind, data, prev_hash, hash)
        VALUES ($goal_id, $seq, $time, $kind, $data, $prev_hash, $hash);
        """;

    private const string SelectPageSql = """
        SELECT seq, time, kind, data, prev_hash, hash FROM audit_log
        WHERE goal_id = $goal_id AND seq > $after_seq
        ORDER BY seq
        LIMIT $limit;
        """;

    private readonly SqliteFile _file;
    private readonly ILogger<SqliteAuditLog> _logger;
    private volatile bool _disposed;

    /// <summary>
    /// Creates the log over <paramref name="databasePath"/> (a full path; the file and its folder are created when
    /// missing). Nothing touches the file until <see cref="InitializeAsync"/> or the first call.
    /// </summary>
    /// <param name="databasePath">The SQLite file, e.g. the silo's <c>mdl.db</c>.</param>
    /// <param name="busyTimeout">How long a statement waits for another connection's write lock; default 30 s.</param>
    /// <param name="logger">Where opening and closing are logged.</param>
    public SqliteAuditLog(string databasePath, TimeSpan? busyTimeout, ILogger<SqliteAuditLog> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (PathProblem(databasePath) is { } problem)
        {
            throw new ArgumentException($"SQLite audit log: {problem}", nameof(databasePath));
        }

        var timeout = busyTimeout ?? SqliteStorageOptions.DefaultBusyTimeout;
        if (timeout < TimeSpan.FromMilliseconds(1) || timeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(busyTimeout), timeout, $"must be between 1 ms and {int.MaxValue} ms");
        }

        _logger = logger;
        _file = new SqliteFile(databasePath, timeout, CreateSchemaSql, "SQLite audit log");
    }

    /// <summary>The database file.</summary>
    public string DatabasePath => _file.DatabasePath;

    /// <summary>Opens the file, switches it to WAL and creates the table if missing. Idempotent.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        WithWriterAsync(static _ => true, cancellationToken);

    /// <inheritdoc />
    public async Task<AuditEntry> AppendAsync(AuditRecord entry, CancellationToken cancellationToken = default)
    {
        AuditRecords.Check(entry);

        return await WithWriterAsync(
            writer =>
            {
                // IMMEDIATE takes the write lock up front: the last (seq, hash) read here cannot change before the
                // insert, even from another process, and no read lock has to be upgraded (which WAL may refuse).
                using var transaction = writer.BeginTransaction(deferred: false);
                var (lastSeq, lastHash) = SelectLast(writer, transaction, entry.GoalId);
                var sealedEntry = AuditChain.Seal(entry.GoalId, lastSeq + 1, entry.Time, entry.Kind, entry.Data, lastHash);
                Insert(writer, transaction, sealedEntry);
                transaction.Commit();
                return sealedEntry;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<AuditEntry[]> ReadAsync(string goalId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        AuditRecords.CheckRead(goalId, afterSeq, limit);
        if (!_file.IsReady)
        {
            await InitializeAsync(cancellationToken);
        }

        return await Task.Run(() => ReadPage(goalId, afterSeq, limit), cancellationToken);
    }

    /// <summary>Closes the writer and the pooled connections; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_file.Close())
        {
            LogClosed(DatabasePath);
        }
    }

    /// <summary>Why <paramref name="databasePath"/> cannot hold an audit log, or null when it can.</summary>
    internal static string? PathProblem(string? databasePath)
    {
        if (string.IsNullOrWhiteSpace(databasePath))
        {
            return "set the database path to the full path of the SQLite file, e.g. /var/lib/mdl/mdl.db";
        }

        // A relative path or :memory: would put an append-only log somewhere it silently gets lost.
        if (!Path.IsPathFullyQualified(databasePath))
        {
            return $"the database path must be a full path to the SQLite file, not '{databasePath}'";
        }

        return Directory.Exists(databasePath)
            ? $"the database path '{databasePath}' is a directory; use a file inside it, e.g. '{Path.Combine(databasePath, "mdl.db")}'"
            : null;
    }

    private Task<TResult> WithWriterAsync<TResult>(Func<SqliteConnection, TResult> work, CancellationToken cancellationToken) =>
        _file.WithWriterAsync(work, () => LogOpened(DatabasePath), cancellationToken);

    private static (long Seq, string Hash) SelectLast(SqliteConnection writer, SqliteTransaction transaction, string goalId)
    {
        using var command = writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SelectLastSql;
        command.Parameters.AddWithValue("$goal_id", goalId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : (0, AuditChain.GenesisHash);
    }

    private static void Insert(SqliteConnection writer, SqliteTransaction transaction, AuditEntry entry)
    {
        using var command = writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = InsertSql;
        foreach (var (column, value) in AuditRecords.StoredColumns(entry))
        {
            command.Parameters.AddWithValue("$" + column, value);
        }

        command.ExecuteNonQuery();
    }

    private AuditEntry[] ReadPage(string goalId, long afterSeq, int limit)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = _file.OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = SelectPageSql;
        command.Parameters.AddWithValue("$goal_id", goalId);
        command.Parameters.AddWithValue("$after_seq", afterSeq);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(new AuditEntry
            {
                GoalId = goalId,
                Seq = reader.GetInt64(0),
                Time = AuditRecords.ParseStoredTime(Text(reader, 1)),
                Kind = Text(reader, 2),
                Data = AuditRecords.ParseStoredData(Text(reader, 3)),
                PrevHash = Text(reader, 4),
                Hash = Text(reader, 5),
            });
        }

        return [.. entries];
    }

    // A column someone has set to NULL or a number reads as text, so Verify reports the entry instead of the read failing.
    private static string Text(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? "" : Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture) ?? "";

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite audit log opened {Path} (WAL, synchronous=FULL)")]
    private partial void LogOpened(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite audit log closed {Path}")]
    private partial void LogClosed(string path);
}
