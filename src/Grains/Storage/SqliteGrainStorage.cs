using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mdl.Storage;

/// <summary>
/// Orleans grain storage in one SQLite file: a row per (state name, grain id), guarded by an ETag that changes on
/// every write, so two activations of the same grain cannot silently overwrite each other.
/// </summary>
/// <remarks>
/// <para>
/// Durability: the database runs in WAL mode with <c>synchronous=FULL</c>, so a write is fsynced to the WAL before
/// it is acknowledged. NORMAL would already survive a killed process (the WAL sits in the OS page cache), but can
/// lose the last acknowledged writes on power loss or a kernel/VM crash. A grain that has told its caller "done"
/// (or has called a function whose idempotency key lives in that state) must not roll back, and one fsync per
/// write, taken by the single writer, is cheap next to that.
/// </para>
/// <para>
/// Concurrency: SQLite admits one writer at a time, so every write goes through one dedicated connection behind a
/// semaphore; reads use pooled connections, which WAL lets run alongside the writer. Microsoft.Data.Sqlite's
/// "async" methods run synchronously, so the database work is done on the thread pool rather than on the silo's
/// grain scheduler threads.
/// </para>
/// </remarks>
internal sealed partial class SqliteGrainStorage : IGrainStorage, IDueGrainIndex, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS grain_state (
            state_name TEXT    NOT NULL,
            grain_id   TEXT    NOT NULL,
            payload    BLOB    NOT NULL,
            etag       TEXT    NOT NULL,
            version    INTEGER NOT NULL,
            updated_at TEXT    NOT NULL,
            due_at     INTEGER,
            PRIMARY KEY (state_name, grain_id)
        );
        """;

    // due_at (Unix milliseconds) came after the first files were made; the index needs the column.
    private const string DueIndexSql =
        "CREATE INDEX IF NOT EXISTS grain_state_due ON grain_state (state_name, due_at) WHERE due_at IS NOT NULL;";

    private const string SelectDueSql = """
        SELECT grain_id FROM grain_state
        WHERE state_name = $state_name AND due_at IS NOT NULL AND due_at <= $now AND grain_id > $after
        ORDER BY grain_id
        LIMIT $limit;
        """;

    private const string SelectRowSql =
        "SELECT payload, etag FROM grain_state WHERE state_name = $state_name AND grain_id = $grain_id;";

    private const string SelectETagSql =
        "SELECT etag FROM grain_state WHERE state_name = $state_name AND grain_id = $grain_id;";

    // Only for a grain that has never seen a row (null ETag): if one appeared meanwhile, nothing is inserted.
    private const string InsertSql = """
        INSERT INTO grain_state (state_name, grain_id, payload, etag, version, updated_at, due_at)
        VALUES ($state_name, $grain_id, $payload, $new_etag, 1, $updated_at, $due_at)
        ON CONFLICT (state_name, grain_id) DO NOTHING;
        """;

    // Compare-and-swap on the ETag: zero rows changed means the row is gone or someone else wrote it.
    private const string UpdateSql = """
        UPDATE grain_state
        SET payload = $payload, etag = $new_etag, version = version + 1, updated_at = $updated_at, due_at = $due_at
        WHERE state_name = $state_name AND grain_id = $grain_id AND etag = $etag;
        """;

    private const string DeleteSql =
        "DELETE FROM grain_state WHERE state_name = $state_name AND grain_id = $grain_id AND etag = $etag;";

    private readonly string _name;
    private readonly SqliteStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SqliteGrainStorage> _logger;
    private readonly SqliteFile _file;
    private volatile bool _disposed;

    /// <summary>Creates the provider; nothing touches the file until the silo starts or the first call arrives.</summary>
    public SqliteGrainStorage(
        string name,
        SqliteStorageOptions options,
        IGrainStorageSerializer serializer,
        IActivatorProvider activators,
        TimeProvider timeProvider,
        ILogger<SqliteGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(activators);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate(name);

        _name = name;
        _options = options;
        _serializer = serializer;
        _activators = activators;
        _timeProvider = timeProvider;
        _logger = logger;
        _file = new SqliteFile(options.DatabasePath, options.BusyTimeout, CreateTableSql, $"SQLite grain storage '{name}'", AddDueColumn);
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);

        // Open the file and create the table before any grain activates, and fail the silo's start, not a grain's
        // first read, when the path is unusable. Stopping at the same stage runs after grains have deactivated
        // (GrainDeactivation is a later stage), so their last writes are in before the writer closes.
        lifecycle.Subscribe(
            OptionFormattingUtilities.Name<SqliteGrainStorage>(_name),
            _options.InitStage,
            InitializeAsync,
            StopAsync);
    }

    /// <summary>Opens the database, switches it to WAL and creates the table if missing. Idempotent.</summary>
    internal Task InitializeAsync(CancellationToken cancellationToken) =>
        WithWriterAsync(static _ => true, cancellationToken);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(
        string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainState);
        var key = grainId.ToString();

        if (!_file.IsReady)
        {
            await InitializeAsync(cancellationToken);
        }

        var row = await Task.Run(() => ReadRow(stateName, key), cancellationToken);
        if (row is not { } stored)
        {
            grainState.State = CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = Deserialize<T>(stored.Payload, stateName, key) ?? CreateInstance<T>();
        grainState.ETag = stored.ETag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(
        string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainState);

        // Snapshot the state now, synchronously, before the first await. The grain's turn can continue (or another
        // interleaved turn run) while this write is in flight, and it mutates the very object it handed us; what is
        // persisted, and what the new ETag vouches for, must be the state as it was when the write was asked for.
        using var payload = StateBuffer.Serialize(_serializer, grainState.State);
        var expectedETag = grainState.ETag;
        var key = grainId.ToString();
        var newETag = NewETag();
        var updatedAt = Timestamp();
        var row = new NewRow(payload, newETag, updatedAt, DueAt(grainState.State));

        var outcome = await WithWriterAsync(
            writer => Apply(writer, expectedETag is null ? InsertSql : UpdateSql, stateName, key, expectedETag, row),
            cancellationToken);

        if (!outcome.Applied)
        {
            throw Conflict("write", stateName, key, outcome.StoredETag, expectedETag);
        }

        grainState.ETag = newETag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(
        string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainState);
        var expectedETag = grainState.ETag;
        var key = grainId.ToString();

        var outcome = await WithWriterAsync(
            writer => expectedETag is null
                ? ClearUnseen(writer, stateName, key)
                : Apply(writer, DeleteSql, stateName, key, expectedETag, row: null),
            cancellationToken);

        if (!outcome.Applied)
        {
            throw Conflict("clear", stateName, key, outcome.StoredETag, expectedETag);
        }

        grainState.State = CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
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
            LogClosed(_name, _file.DatabasePath);
        }
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        _disposed = true;
        if (await _file.CloseAsync(cancellationToken))
        {
            LogClosed(_name, _file.DatabasePath);
        }
    }

    /// <summary>Runs <paramref name="work"/> as the file's one writer (see <see cref="SqliteFile.WithWriterAsync"/>).</summary>
    private Task<TResult> WithWriterAsync<TResult>(Func<SqliteConnection, TResult> work, CancellationToken cancellationToken) =>
        _file.WithWriterAsync(work, () => LogOpened(_name, _file.DatabasePath), cancellationToken);

    private StoredRow? ReadRow(string stateName, string grainId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = _file.OpenReader();
        using var command = Command(connection, SelectRowSql, stateName, grainId);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new StoredRow(reader.GetFieldValue<byte[]>(0), reader.GetString(1))
            : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<GrainId>> DueAsync(
        string stateName, DateTimeOffset now, GrainId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (!_file.IsReady)
        {
            await InitializeAsync(cancellationToken);
        }

        return await Task.Run(() => ReadDue(stateName, now, after, limit), cancellationToken);
    }

    private List<GrainId> ReadDue(string stateName, DateTimeOffset now, GrainId? after, int limit)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = _file.OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = SelectDueSql;
        command.Parameters.AddWithValue("$state_name", stateName);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$after", after?.ToString() ?? "");
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var due = new List<GrainId>();
        while (reader.Read())
        {
            due.Add(GrainId.Parse(reader.GetString(0)));
        }

        return due;
    }

    /// <summary>Adds <c>due_at</c> and its index to a file made before them; a no-op on a file that has them.</summary>
    private static void AddDueColumn(SqliteConnection writer)
    {
        using (var look = writer.CreateCommand())
        {
            look.CommandText = "SELECT COUNT(*) FROM pragma_table_info('grain_state') WHERE name = 'due_at';";
            if ((long)look.ExecuteScalar()! == 0)
            {
                using var add = writer.CreateCommand();
                add.CommandText = "ALTER TABLE grain_state ADD COLUMN due_at INTEGER;";
                add.ExecuteNonQuery();
            }
        }

        using var index = writer.CreateCommand();
        index.CommandText = DueIndexSql;
        index.ExecuteNonQuery();
    }

    private static long? DueAt<T>(T state) => state is IDueState { DueAt: { } due } ? due.ToUnixTimeMilliseconds() : null;

    private static Outcome Apply(
        SqliteConnection writer,
        string sql,
        string stateName,
        string grainId,
        string? expectedETag,
        NewRow? row)
    {
        int changed;
        using (var command = Command(writer, sql, stateName, grainId))
        {
            if (expectedETag is not null)
            {
                command.Parameters.AddWithValue("$etag", expectedETag);
            }

            if (row is { } written)
            {
                command.Parameters.Add("$payload", SqliteType.Blob).Value = written.Payload.Memory;
                command.Parameters.AddWithValue("$new_etag", written.ETag);
                command.Parameters.AddWithValue("$updated_at", written.UpdatedAt);
                command.Parameters.AddWithValue("$due_at", written.DueAt is { } due ? due : DBNull.Value);
            }

            changed = command.ExecuteNonQuery();
        }

        // Writes are serialised through this connection, so in-process nothing can change the row between the
        // statement and this look-up; it only feeds the exception message.
        return changed == 1 ? new Outcome(true, null) : new Outcome(false, SelectETag(writer, stateName, grainId));
    }

    // A grain with no ETag has seen no row: clearing nothing is fine, but a row that exists is someone else's.
    private static Outcome ClearUnseen(SqliteConnection writer, string stateName, string grainId)
    {
        var stored = SelectETag(writer, stateName, grainId);
        return new Outcome(stored is null, stored);
    }

    private static string? SelectETag(SqliteConnection connection, string stateName, string grainId)
    {
        using var command = Command(connection, SelectETagSql, stateName, grainId);
        return command.ExecuteScalar() as string;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string stateName, string grainId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$state_name", stateName);
        command.Parameters.AddWithValue("$grain_id", grainId);
        return command;
    }

    private T? Deserialize<T>(byte[] payload, string stateName, string grainId)
    {
        try
        {
            return _serializer.Deserialize<T>(new BinaryData(payload));
        }
        catch (Exception exception)
        {
            throw new OrleansException(
                $"SQLite grain storage '{_name}' could not deserialize state '{stateName}' of grain {grainId} " +
                $"({payload.Length} bytes) as {typeof(T)}.",
                exception);
        }
    }

    private InconsistentStateException Conflict(
        string operation, string stateName, string grainId, string? storedETag, string? currentETag)
    {
        var reason = (storedETag, currentETag) switch
        {
            (null, _) => $"the grain holds ETag '{currentETag}' but no state is stored",
            (_, null) => $"state is stored (ETag '{storedETag}') but the grain has never read it",
            _ => $"the stored ETag is '{storedETag}' but the grain holds '{currentETag}'",
        };

        return new InconsistentStateException(
            $"SQLite grain storage '{_name}' refused to {operation} state '{stateName}' of grain {grainId}: {reason}. " +
            "Another activation has changed it; nothing was changed.",
            storedETag,
            currentETag);
    }

    private T CreateInstance<T>() => _activators.GetActivator<T>().Create();

    // A fresh random value, not the row version: after a clear the version restarts, and a stale activation still
    // holding "version 1" from the row's previous life must not match the new row's "version 1".
    private static string NewETag() => Guid.NewGuid().ToString("N");

    private string Timestamp() => _timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite grain storage {Name} opened {Path} (WAL, synchronous=FULL)")]
    private partial void LogOpened(string name, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite grain storage {Name} closed {Path}")]
    private partial void LogClosed(string name, string path);

    private readonly record struct StoredRow(byte[] Payload, string ETag);

    /// <summary>What a write stores: the serialised state, its new ETag, when, and when the grain falls due (Unix ms).</summary>
    private readonly record struct NewRow(StateBuffer Payload, string ETag, string UpdatedAt, long? DueAt);

    private readonly record struct Outcome(bool Applied, string? StoredETag);
}
