using Mdl.Silo.Postgres;
using Mdl.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Mdl.Tests.Postgres;

/// <summary>
/// The stream queue's SQL, run the way the ADO.NET stream provider runs it (query text from <c>orleansquery</c>, its
/// parameter names), for the behaviours the alpha provider relies on without saying so.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStreamQueueTests(PostgresServer server) : IAsyncLifetime
{
    private const int MaxAttempts = 2;
    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await server.CreateDatabaseAsync("stream_queue");
        await new PostgresMigrator().ApplyAsync(_database, NullLogger.Instance, CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_confirmation_deletes_a_message_only_if_it_was_not_taken_again_since()
    {
        var id = await QueueAsync("q1");
        var taken = await DequeueAsync("q1", visibilitySeconds: 0);
        Assert.Equal([(id, 1)], taken);

        // Invisible for 0 s: taken again by someone else, so the first taker's confirmation is stale and changes nothing.
        Assert.Equal([(id, 2)], await DequeueAsync("q1", visibilitySeconds: 60));
        Assert.Empty(await ConfirmAsync("q1", $"{id}:1"));
        Assert.Equal([id], await ConfirmAsync("q1", $"{id}:2"));
        Assert.Equal(0L, await CountAsync("orleans_stream_message"));
    }

    [Fact]
    public async Task A_release_on_shutdown_makes_the_message_visible_at_once_and_gives_the_attempt_back()
    {
        var id = await QueueAsync("q2");
        Assert.Single(await DequeueAsync("q2", visibilitySeconds: 60));
        Assert.Empty(await DequeueAsync("q2", visibilitySeconds: 60));

        // The provider releases with a negative attempt count through the confirmation query.
        Assert.Equal([id], await ConfirmAsync("q2", $"{id}:-1"));

        Assert.Equal([(id, 1)], await DequeueAsync("q2", visibilitySeconds: 60));
    }

    [Fact]
    public async Task A_message_out_of_attempts_becomes_a_dead_letter_when_the_queue_is_next_evicted()
    {
        var id = await QueueAsync("q3");
        Assert.Single(await DequeueAsync("q3", visibilitySeconds: 0));
        Assert.Single(await DequeueAsync("q3", visibilitySeconds: 0));

        // Both attempts used and never confirmed: not delivered again, and buried by the eviction the next dequeue does.
        Assert.Empty(await DequeueAsync("q3", visibilitySeconds: 0));
        Assert.Equal(0L, await CountAsync("orleans_stream_message"));
        Assert.Equal(1L, await CountAsync("orleans_stream_dead_letter"));
        Assert.Equal(id, await PostgresServer.ScalarAsync<long>(_database, "SELECT message_id FROM orleans_stream_dead_letter"));
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_at_once_while_attempts_remain_then_buried()
    {
        var id = await QueueAsync("q4");
        Assert.Single(await DequeueAsync("q4", visibilitySeconds: 60));

        await ExecuteQueryAsync("FailStreamMessageKey", "q4", ("MessageId", id), ("MaxAttempts", MaxAttempts), ("RemovalTimeout", 60));
        Assert.Equal([(id, 2)], await DequeueAsync("q4", visibilitySeconds: 60));
        await ExecuteQueryAsync("FailStreamMessageKey", "q4", ("MessageId", id), ("MaxAttempts", MaxAttempts), ("RemovalTimeout", 60));

        Assert.Equal(0L, await CountAsync("orleans_stream_message"));
        Assert.Equal(1L, await CountAsync("orleans_stream_dead_letter"));
    }

    private Task<long> QueueAsync(string queue) =>
        ReadAsync("QueueStreamMessageKey", queue, r => r.GetInt64(r.GetOrdinal("MessageId")), ("Payload", new byte[] { 1, 2, 3 }), ("ExpiryTimeout", 600))
            .ContinueWith(t => t.Result.Single(), TaskScheduler.Default);

    private Task<List<(long, int)>> DequeueAsync(string queue, int visibilitySeconds) =>
        ReadAsync(
            "GetStreamMessagesKey",
            queue,
            r => (r.GetInt64(r.GetOrdinal("MessageId")), r.GetInt32(r.GetOrdinal("Dequeued"))),
            ("MaxCount", 10),
            ("MaxAttempts", MaxAttempts),
            ("VisibilityTimeout", visibilitySeconds),
            ("RemovalTimeout", 60),
            // 0: evict on every call, so the test need not wait for the interval.
            ("EvictionInterval", 0),
            ("EvictionBatchSize", 100));

    private Task<List<long>> ConfirmAsync(string queue, string items) =>
        ReadAsync("ConfirmStreamMessagesKey", queue, r => r.GetInt64(r.GetOrdinal("MessageId")), ("Items", items));

    private async Task<List<T>> ReadAsync<T>(string key, string queue, Func<NpgsqlDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = await QueryAsync(connection, key, queue, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private async Task ExecuteQueryAsync(string key, string queue, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = await QueryAsync(connection, key, queue, parameters);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlCommand> QueryAsync(NpgsqlConnection connection, string key, string queue, (string Name, object Value)[] parameters)
    {
        await using var lookup = new NpgsqlCommand("SELECT querytext FROM orleansquery WHERE querykey = @key", connection);
        lookup.Parameters.AddWithValue("key", key);
        var command = new NpgsqlCommand((string)(await lookup.ExecuteScalarAsync())!, connection);
        command.Parameters.AddWithValue("ServiceId", "svc");
        command.Parameters.AddWithValue("ProviderId", "mdl");
        command.Parameters.AddWithValue("QueueId", queue);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private Task<long> CountAsync(string table) => PostgresServer.ScalarAsync<long>(_database, $"SELECT count(*) FROM {table}");
}
