using System.Threading.Channels;
using Mdl.Storage;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mdl.Silo.Postgres;

/// <summary>
/// Grain storage in PostgreSQL (table <c>mdl_grain_state</c>) that group-commits: writes from many grains that arrive
/// while a commit is in progress wait for the next one and share it — one transaction, one WAL flush, for all of them.
/// Each write still returns only once its own row is committed, so an acknowledgement that waited for a write is as
/// durable as with one transaction per write; only the cost per write falls as load rises.
/// </summary>
/// <remarks>
/// <para>
/// Each write is a compare-and-swap on the row's ETag (a fresh random token per write), executed as its own statement
/// inside the shared transaction: a stale writer's statement matches no row and fails with
/// <see cref="InconsistentStateException"/> while the others in the batch commit. A batch that fails as a whole
/// (connection lost, server gone) fails every write in it, and none of them is committed.
/// </para>
/// <para>
/// A few committers run at once, so that one batch is being flushed while the next is being formed; a grain issues one
/// write at a time, so one grain never has two writes in a batch.
/// </para>
/// </remarks>
internal sealed partial class GroupCommitGrainStorage : IGrainStorage, IDueGrainIndex, ILifecycleParticipant<ISiloLifecycle>
{
    private const string SelectSql = "SELECT payload, etag FROM mdl_grain_state WHERE state_name = $1 AND grain_id = $2";

    // Only for a grain that has seen no row: if one appeared meanwhile, nothing is inserted and no row comes back.
    private const string InsertSql = """
        INSERT INTO mdl_grain_state (state_name, grain_id, payload, etag, version, updated_at, due_at)
        VALUES ($1, $2, $3, $4, 1, now(), $5)
        ON CONFLICT (state_name, grain_id) DO NOTHING
        RETURNING version
        """;

    private const string UpdateSql = """
        UPDATE mdl_grain_state SET payload = $3, etag = $4, version = version + 1, updated_at = now(), due_at = $6
        WHERE state_name = $1 AND grain_id = $2 AND etag = $5
        RETURNING version
        """;

    private const string DeleteSql = "DELETE FROM mdl_grain_state WHERE state_name = $1 AND grain_id = $2 AND etag = $3";

    // Connections for reads and clears, beside one per committer.
    private const int ReadConnections = 16;

    private const string ExistsSql = "SELECT 1 FROM mdl_grain_state WHERE state_name = $1 AND grain_id = $2";

    // Served by the partial index on (state_name, due_at): only rows with a moment are in it.
    private const string SelectDueSql = """
        SELECT grain_id FROM mdl_grain_state
        WHERE state_name = $1 AND due_at IS NOT NULL AND due_at <= $2 AND grain_id > $3
        ORDER BY grain_id
        LIMIT $4
        """;

    private readonly string _name;
    private readonly GroupCommitOptions _options;
    private readonly NpgsqlDataSource _source;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger<GroupCommitGrainStorage> _logger;
    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(new() { SingleWriter = false });
    private Task[] _committers = [];
    private long _commits;
    private long _committedWrites;

    /// <summary>Creates the provider; nothing connects until the silo starts.</summary>
    public GroupCommitGrainStorage(
        string name,
        string connectionString,
        GroupCommitOptions options,
        IGrainStorageSerializer serializer,
        IActivatorProvider activators,
        ILogger<GroupCommitGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _name = name;
        _options = options;
        // The committers need a connection each; reads (grain activations) share the rest. A bounded pool makes a burst
        // of activations queue here rather than take every connection the server allows, which all silos share.
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        settings.MaxPoolSize = Math.Min(settings.MaxPoolSize, options.Committers + ReadConnections);
        settings.MinPoolSize = Math.Min(settings.MinPoolSize, settings.MaxPoolSize);
        _source = NpgsqlDataSource.Create(settings);
        _serializer = serializer;
        _activators = activators;
        _logger = logger;
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(OptionFormattingUtilities.Name<GroupCommitGrainStorage>(_name), ServiceLifecycleStage.ApplicationServices, Start, StopAsync);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        try
        {
            await ReadAsync(stateName, grainId, grainState);
        }
        catch (NpgsqlException exception)
        {
            throw Unavailable("read", stateName, grainId, exception);
        }
    }

    private async Task ReadAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var command = _source.CreateCommand(SelectSql);
        command.Parameters.AddWithValue(stateName);
        command.Parameters.AddWithValue(grainId.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            grainState.State = CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        var payload = reader.GetFieldValue<byte[]>(0);
        grainState.State = _serializer.Deserialize<T>(new BinaryData(payload)) ?? CreateInstance<T>();
        grainState.ETag = reader.GetString(1);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);

        // Serialise now, before the first await: the grain may change its state while this write waits for a commit,
        // and what is stored (and what the new ETag vouches for) must be the state as it was when the write was asked for.
        using var payload = StateBuffer.Serialize(_serializer, grainState.State);
        var dueAt = grainState.State is IDueState { DueAt: { } due } ? due.ToUniversalTime() : (DateTimeOffset?)null;
        var write = new PendingWrite(stateName, grainId.ToString(), payload, grainState.ETag, Guid.NewGuid().ToString("N"), dueAt);
        if (!_writes.Writer.TryWrite(write))
        {
            throw new InvalidOperationException($"grain storage '{_name}' is stopped; the state of {grainId} was not written");
        }

        bool applied;
        try
        {
            applied = await write.Committed.Task;
        }
        catch (NpgsqlException exception)
        {
            throw Unavailable("write", stateName, grainId, exception);
        }

        if (!applied)
        {
            throw Conflict("write", stateName, grainId, grainState.ETag);
        }

        grainState.ETag = write.NewETag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);

        // Clears are rare (a deleted goal keeps its history), so they go straight to the database.
        await using var command = _source.CreateCommand(grainState.ETag is null ? ExistsSql : DeleteSql);
        command.Parameters.AddWithValue(stateName);
        command.Parameters.AddWithValue(grainId.ToString());
        if (grainState.ETag is { } etag)
        {
            command.Parameters.AddWithValue(etag);
        }

        // With an ETag: exactly our row must go. Without one: the grain has seen no row, and there must be none.
        var applied = grainState.ETag is null
            ? await command.ExecuteScalarAsync() is null
            : await command.ExecuteNonQueryAsync() == 1;
        if (!applied)
        {
            throw Conflict("clear", stateName, grainId, grainState.ETag);
        }

        grainState.State = CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<GrainId>> DueAsync(
        string stateName, DateTimeOffset now, GrainId? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = _source.CreateCommand(SelectDueSql);
        command.Parameters.AddWithValue(stateName);
        command.Parameters.AddWithValue(now.ToUniversalTime());
        command.Parameters.AddWithValue(after?.ToString() ?? "");
        command.Parameters.AddWithValue(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<GrainId>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(GrainId.Parse(reader.GetString(0)));
        }

        return due;
    }

    /// <summary>Transactions committed so far, and the writes they carried: how well writes are being grouped.</summary>
    internal (long Commits, long Writes) Committed => (Interlocked.Read(ref _commits), Interlocked.Read(ref _committedWrites));

    /// <summary>Starts the committers (at silo start).</summary>
    internal Task Start(CancellationToken cancellationToken)
    {
        _committers = [.. Enumerable.Range(0, _options.Committers).Select(_ => Task.Run(CommitLoopAsync, CancellationToken.None))];
        return Task.CompletedTask;
    }

    /// <summary>Commits what is queued, then stops (at silo stop).</summary>
    internal async Task StopAsync(CancellationToken cancellationToken)
    {
        // Grains have deactivated (a later stage stops first), so their last writes are queued: commit them, then stop.
        _writes.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_committers).WaitAsync(cancellationToken);
        }
        finally
        {
            // Also when the stop is cut short: a write still queued then fails rather than hangs, and is not acknowledged.
            await _source.DisposeAsync();
        }
    }

    private async Task CommitLoopAsync()
    {
        var batch = new List<PendingWrite>(_options.MaxBatch);
        while (await _writes.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                var applied = await CommitAsync(batch);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Committed.TrySetResult(applied[i]);
                }
            }
            catch (Exception exception)
            {
                LogBatchFailed(exception, _name, batch.Count);
                foreach (var write in batch)
                {
                    write.Committed.TrySetException(exception);
                }
            }
        }
    }

    /// <summary>Runs <paramref name="batch"/> in one transaction; returns, per write, whether its compare-and-swap matched.</summary>
    private async Task<bool[]> CommitAsync(List<PendingWrite> batch)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var statements = new NpgsqlBatch(connection, transaction);
        foreach (var write in batch)
        {
            var statement = new NpgsqlBatchCommand(write.ExpectedETag is null ? InsertSql : UpdateSql);
            statement.Parameters.AddWithValue(write.StateName);
            statement.Parameters.AddWithValue(write.GrainId);
            statement.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = write.Payload.Memory });
            statement.Parameters.AddWithValue(write.NewETag);
            if (write.ExpectedETag is { } expected)
            {
                statement.Parameters.AddWithValue(expected);
            }

            statement.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = write.DueAt is { } due ? due : DBNull.Value });

            statements.BatchCommands.Add(statement);
        }

        var applied = new bool[batch.Count];
        await using (var reader = await statements.ExecuteReaderAsync())
        {
            for (var i = 0; i < batch.Count; i++)
            {
                applied[i] = await reader.ReadAsync();
                while (await reader.ReadAsync())
                {
                    // One row at most; drain to reach the next statement's result.
                }

                await reader.NextResultAsync();
            }
        }

        await transaction.CommitAsync();
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _committedWrites, batch.Count);
        return applied;
    }

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? currentETag) => new(
        $"grain storage '{_name}' refused to {operation} state '{stateName}' of grain {grainId}: the stored ETag is not the " +
        $"one the grain holds ('{currentETag ?? "none"}'). Another activation has changed it; nothing was changed.",
        storedEtag: null,
        currentEtag: currentETag);

    /// <summary>
    /// The database failed (unreachable, out of connections, …). Logged in full here; the caller gets the message
    /// without the driver's exception, which Orleans cannot serialise back to a client.
    /// </summary>
    private OrleansException Unavailable(string operation, string stateName, GrainId grainId, NpgsqlException exception)
    {
        LogUnavailable(exception, _name, operation, stateName, grainId);
        var code = exception is PostgresException postgres ? $" (SQLSTATE {postgres.SqlState})" : "";
        return new OrleansException(
            $"grain storage '{_name}' could not {operation} state '{stateName}' of grain {grainId}: PostgreSQL: {exception.Message}{code}");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage {Name} could not {Operation} state {StateName} of {GrainId}")]
    private partial void LogUnavailable(Exception exception, string name, string operation, string stateName, GrainId grainId);

    private T CreateInstance<T>() => _activators.GetActivator<T>().Create();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain storage {Name}: a batch of {Count} writes failed; none was committed")]
    private partial void LogBatchFailed(Exception exception, string name, int count);

    /// <summary>A write waiting for a commit.</summary>
    private sealed record PendingWrite(string StateName, string GrainId, StateBuffer Payload, string? ExpectedETag, string NewETag, DateTimeOffset? DueAt)
    {
        // Completed off the committer's loop: a grain continuing its turn must not run on (and stall) the committer.
        public TaskCompletionSource<bool> Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>How <see cref="GroupCommitGrainStorage"/> batches (<c>Mdl__GroupCommit__…</c>).</summary>
public sealed class GroupCommitOptions
{
    /// <summary>Committers running at once: one batch flushes while the next forms. Default 4.</summary>
    public int Committers { get; set; } = 4;

    /// <summary>Most writes in one transaction. Default 256.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>One message per setting out of range.</summary>
    public IEnumerable<string> Problems()
    {
        if (Committers is < 1 or > 64)
        {
            yield return $"Mdl__GroupCommit__Committers must be from 1 to 64, not {Committers}.";
        }

        if (MaxBatch is < 1 or > 10_000)
        {
            yield return $"Mdl__GroupCommit__MaxBatch must be from 1 to 10000, not {MaxBatch}.";
        }
    }
}
