using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Mdl.Storage;

/// <summary>
/// One SQLite file as the embedded stores use it (<see cref="SqliteGrainStorage"/>, the SQLite audit log): WAL with
/// <c>synchronous=FULL</c>, every write through one writer connection behind a lock, reads on pooled connections, and all
/// database work on the thread pool rather than a grain's scheduler (Microsoft.Data.Sqlite's async methods run synchronously).
/// </summary>
internal sealed class SqliteFile
{
    private readonly string _owner;
    private readonly string _schemaSql;
    private readonly Action<SqliteConnection>? _upgrade;
    private readonly string _connectionString;
    private readonly string _connectionPragmas;

    // One writer at a time, as SQLite requires. Not disposed: a straggler releasing it after Close must not throw.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    // Guarded by _writeLock; opened, with the schema ensured, on first use.
    private SqliteConnection? _writer;
    private volatile bool _ready;
    private volatile bool _closed;

    /// <summary>Describes the file; nothing touches it until the first call.</summary>
    /// <param name="databasePath">A full path; the file and its folder are created when missing.</param>
    /// <param name="busyTimeout">How long a statement waits for another connection's write lock (validated by the owner).</param>
    /// <param name="schemaSql">Idempotent DDL run when the writer opens.</param>
    /// <param name="owner">Who uses the file, for messages (e.g. "SQLite audit log").</param>
    /// <param name="upgrade">
    /// Brings a file made by an earlier version up to date after <paramref name="schemaSql"/> ran (SQLite has no
    /// <c>ADD COLUMN IF NOT EXISTS</c>); run inside an immediate transaction, so two owners of one file never both apply it.
    /// </param>
    public SqliteFile(string databasePath, TimeSpan busyTimeout, string schemaSql, string owner, Action<SqliteConnection>? upgrade = null)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        _schemaSql = schemaSql;
        _upgrade = upgrade;
        _owner = owner;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite retries BUSY/LOCKED until the command timeout; keep it in step with busy_timeout.
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        }.ToString();

        // PRAGMA values cannot be bound as parameters; this one is a validated integer, not input. synchronous and
        // busy_timeout are per connection (journal_mode=WAL is persistent in the file), so every connection sets them.
        _connectionPragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {(int)Math.Ceiling(busyTimeout.TotalMilliseconds)}; PRAGMA synchronous = FULL;");
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>Whether the writer is open (the file in WAL mode, the schema in place).</summary>
    public bool IsReady => _ready;

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool with the write lock held, opening the writer first if needed
    /// (<paramref name="opened"/> is told when that happens). Cancellation is honoured only while waiting: once the work
    /// starts it finishes, so a cancelled call has changed everything or nothing.
    /// </summary>
    public Task<TResult> WithWriterAsync<TResult>(Func<SqliteConnection, TResult> work, Action opened, CancellationToken cancellationToken) =>
        Task.Run(
            async () =>
            {
                await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return work(Writer(opened));
                }
                finally
                {
                    _writeLock.Release();
                }
            },
            cancellationToken);

    /// <summary>A pooled connection for reading, with the per-connection settings applied.</summary>
    public SqliteConnection OpenReader()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = _connectionPragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Closes the writer and the pooled connections; later calls throw. Returns whether the writer was open.</summary>
    public bool Close()
    {
        _closed = true;
        _writeLock.Wait();
        try
        {
            return CloseConnections();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary><see cref="Close"/>, waiting for a write in progress without blocking a thread.</summary>
    public async Task<bool> CloseAsync(CancellationToken cancellationToken)
    {
        _closed = true;
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            return CloseConnections();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private bool CloseConnections()
    {
        _ready = false;
        var writer = _writer;
        _writer = null;
        writer?.Dispose();

        // Idle pooled readers hold the file open too; clearing them releases it (and lets the WAL be checkpointed).
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return writer is not null;
    }

    /// <summary>The writer connection, opened with WAL and the schema ensured on first use. Call with the write lock held.</summary>
    private SqliteConnection Writer(Action opened)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_writer is not null)
        {
            return _writer;
        }

        var directory = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = OpenReader();
        try
        {
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "PRAGMA journal_mode = WAL;";
                var mode = command.ExecuteScalar() as string;
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"{_owner} could not put '{DatabasePath}' in WAL journal mode (it reports '{mode}'). " +
                        "WAL needs a local file system with shared memory; put the database on a local disk.");
                }
            }

            using (var command = connection.CreateCommand())
            {
                command.CommandText = _schemaSql;
                command.ExecuteNonQuery();
            }

            if (_upgrade is { } upgrade)
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                upgrade(connection);
                transaction.Commit();
            }
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _writer = connection;
        _ready = true;
        opened();
        return connection;
    }
}
