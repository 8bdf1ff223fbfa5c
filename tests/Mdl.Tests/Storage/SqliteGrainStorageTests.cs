using System.Text.Json;
using Mdl.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mdl.Tests.Storage;

/// <summary>Throwaway persisted state: mutable like a grain's state, with a JsonElement as MDL state carries.</summary>
[GenerateSerializer, Alias("mdl.tests.CounterState")]
public sealed class CounterState
{
    /// <summary>A counter.</summary>
    [Id(0)] public int Count { get; set; }

    /// <summary>A label.</summary>
    [Id(1)] public string Label { get; set; } = "";

    /// <summary>Free-form JSON, which only round-trips through the registered surrogate.</summary>
    [Id(2)] public JsonElement? Context { get; set; }
}

/// <summary>The SQLite grain storage against a real file in a temp directory; no cluster.</summary>
public sealed class SqliteGrainStorageTests : IDisposable
{
    private const string StateName = "counter";

    // Built once: the serializer scans assemblies, which is the slow part.
    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddSerializer(serializer => serializer
            .AddAssembly(typeof(CounterState).Assembly)
            .AddAssembly(typeof(JsonElementSurrogate).Assembly))
        .BuildServiceProvider();

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mdl-sqlite-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly List<SqliteGrainStorage> _opened = [];

    private string DatabasePath => Path.Combine(_directory, "nested", "grains.db");

    [Fact]
    public async Task Read_of_a_missing_row_gives_default_state_no_etag_and_no_record()
    {
        var storage = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 5 }) { ETag = "left-over" };

        await storage.ReadStateAsync(StateName, Grain("a"), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, Counter(state).Count);
    }

    [Fact]
    public async Task Write_then_read_round_trips_the_state_and_the_etag()
    {
        var storage = Open();
        var written = new GrainState<CounterState>(new CounterState
        {
            Count = 42,
            Label = "answer",
            Context = JsonDocument.Parse("""{"region":"eu","tags":[1,2]}""").RootElement.Clone(),
        });

        await storage.WriteStateAsync(StateName, Grain("a"), written);
        var read = await ReadAsync(storage, "a");

        Assert.NotNull(written.ETag);
        Assert.True(written.RecordExists);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(42, Counter(read).Count);
        Assert.Equal("answer", Counter(read).Label);
        Assert.Equal("""{"region":"eu","tags":[1,2]}""", Counter(read).Context?.GetRawText());
    }

    [Fact]
    public async Task Every_write_changes_the_etag_bumps_the_version_and_stamps_the_time()
    {
        var storage = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 1 });

        await storage.WriteStateAsync(StateName, Grain("a"), state);
        var first = state.ETag;
        _time.Advance(TimeSpan.FromMinutes(1));
        Counter(state).Count = 2;
        await storage.WriteStateAsync(StateName, Grain("a"), state);

        Assert.NotEqual(first, state.ETag);
        var (version, updatedAt) = RawRow(Grain("a"));
        Assert.Equal(2, version);
        Assert.Equal("2026-01-02T03:05:05.0000000+00:00", updatedAt);
    }

    [Fact]
    public async Task Write_with_a_stale_etag_is_refused_and_changes_nothing()
    {
        var storage = Open();
        var first = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync(StateName, Grain("a"), first);
        var other = await ReadAsync(storage, "a");
        Counter(other).Count = 2;
        await storage.WriteStateAsync(StateName, Grain("a"), other);

        Counter(first).Count = 3;
        var staleETag = first.ETag;
        var refused = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, Grain("a"), first));

        Assert.Equal(other.ETag, refused.StoredEtag);
        Assert.Equal(staleETag, refused.CurrentEtag);
        Assert.Equal(staleETag, first.ETag);
        var stored = await ReadAsync(storage, "a");
        Assert.Equal(2, Counter(stored).Count);
        Assert.Equal(other.ETag, stored.ETag);
    }

    [Fact]
    public async Task Write_with_no_etag_over_an_existing_row_is_refused_and_changes_nothing()
    {
        var storage = Open();
        var existing = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync(StateName, Grain("a"), existing);

        var blind = new GrainState<CounterState>(new CounterState { Count = 9 });
        var refused = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, Grain("a"), blind));

        Assert.Equal(existing.ETag, refused.StoredEtag);
        Assert.Null(blind.ETag);
        Assert.False(blind.RecordExists);
        Assert.Equal(1, Counter(await ReadAsync(storage, "a")).Count);
    }

    [Fact]
    public async Task Write_with_an_etag_when_no_row_exists_is_refused_and_creates_nothing()
    {
        var storage = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 1 }) { ETag = "from-a-deleted-row" };

        var refused = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, Grain("a"), state));

        Assert.Null(refused.StoredEtag);
        Assert.False((await ReadAsync(storage, "a")).RecordExists);
    }

    [Fact]
    public async Task Write_persists_the_state_as_it_was_when_called_not_as_mutated_afterwards()
    {
        var storage = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 1 });

        // A grain keeps running while its write is in flight; the provider must have taken its snapshot already.
        var write = storage.WriteStateAsync(StateName, Grain("a"), state);
        Counter(state).Count = 99;
        await write;

        Assert.Equal(1, Counter(await ReadAsync(storage, "a")).Count);
    }

    [Fact]
    public async Task Clear_then_read_finds_no_record()
    {
        var storage = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync(StateName, Grain("a"), state);

        await storage.ClearStateAsync(StateName, Grain("a"), state);
        var read = await ReadAsync(storage, "a");

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, Counter(state).Count);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Null(RawRowOrNull(Grain("a")));
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_is_refused_and_keeps_the_row()
    {
        var storage = Open();
        var first = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync(StateName, Grain("a"), first);
        var other = await ReadAsync(storage, "a");
        Counter(other).Count = 2;
        await storage.WriteStateAsync(StateName, Grain("a"), other);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain("a"), first));
        var blind = new GrainState<CounterState>(new CounterState());
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain("a"), blind));

        var stored = await ReadAsync(storage, "a");
        Assert.True(stored.RecordExists);
        Assert.Equal(2, Counter(stored).Count);
    }

    [Fact]
    public async Task A_write_after_clear_starts_a_new_row_and_the_old_etag_no_longer_matches()
    {
        var storage = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync(StateName, Grain("a"), state);
        var stale = new GrainState<CounterState>(new CounterState { Count = 7 }) { ETag = state.ETag };
        await storage.ClearStateAsync(StateName, Grain("a"), state);

        Counter(state).Count = 2;
        await storage.WriteStateAsync(StateName, Grain("a"), state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("a"), stale));
        Assert.Equal(2, Counter(await ReadAsync(storage, "a")).Count);
    }

    [Fact]
    public async Task State_survives_disposing_and_reopening_the_storage_on_the_same_file()
    {
        var first = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 7, Label = "kept" });
        await first.WriteStateAsync(StateName, Grain("a"), state);
        first.Dispose();

        var reopened = Open();
        var read = await ReadAsync(reopened, "a");

        Assert.True(read.RecordExists);
        Assert.Equal(7, Counter(read).Count);
        Assert.Equal("kept", Counter(read).Label);
        Assert.Equal(state.ETag, read.ETag);
        Counter(read).Count = 8;
        await reopened.WriteStateAsync(StateName, Grain("a"), read);
        Assert.Equal(8, Counter(await ReadAsync(reopened, "a")).Count);
    }

    [Fact]
    public async Task A_disposed_storage_refuses_further_calls()
    {
        var storage = Open();
        storage.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => ReadAsync(storage, "a"));
        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => storage.WriteStateAsync(StateName, Grain("a"), new GrainState<CounterState>(new CounterState())));
    }

    [Fact]
    public async Task Different_grain_ids_and_state_names_do_not_collide()
    {
        var storage = Open();
        var keys = new[] { ("counter", "a", 1), ("counter", "b", 2), ("other", "a", 3), ("other", "b", 4) };
        foreach (var (stateName, key, count) in keys)
        {
            await storage.WriteStateAsync(stateName, Grain(key), new GrainState<CounterState>(new CounterState { Count = count }));
        }

        foreach (var (stateName, key, count) in keys)
        {
            var read = new GrainState<CounterState>();
            await storage.ReadStateAsync(stateName, Grain(key), read);
            Assert.Equal(count, Counter(read).Count);
        }

        // Same key, different grain type: a different grain.
        var sameKeyOtherType = new GrainState<CounterState>();
        await storage.ReadStateAsync("counter", GrainId.Create("other-type", "a"), sameKeyOtherType);
        Assert.False(sameKeyOtherType.RecordExists);
    }

    [Fact]
    public async Task Concurrent_writes_to_different_grains_all_land()
    {
        var storage = Open();
        const int grains = 64;

        await Task.WhenAll(Enumerable.Range(0, grains).Select(async i =>
        {
            var state = new GrainState<CounterState>(new CounterState { Count = i });
            await storage.WriteStateAsync(StateName, Grain($"g{i}"), state);
            _ = await ReadAsync(storage, $"g{(i + 1) % grains}");
            Counter(state).Count = i * 10;
            await storage.WriteStateAsync(StateName, Grain($"g{i}"), state);
        }));

        for (var i = 0; i < grains; i++)
        {
            var read = await ReadAsync(storage, $"g{i}");
            Assert.Equal(i * 10, Counter(read).Count);
        }
    }

    [Fact]
    public async Task Initialize_creates_the_directory_and_the_table_in_wal_mode()
    {
        var storage = Open();

        await storage.InitializeAsync(CancellationToken.None);

        Assert.True(File.Exists(DatabasePath));
        using var connection = RawConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar() as string);
        command.CommandText = "SELECT count(*) FROM grain_state;";
        Assert.Equal(0L, command.ExecuteScalar());
    }

    [Theory]
    [InlineData("", "set SqliteStorageOptions.DatabasePath")]
    [InlineData("grains.db", "must be a full path")]
    [InlineData(":memory:", "must be a full path")]
    public void Options_without_a_usable_database_path_fail_fast_saying_what_to_set(string path, string expected)
    {
        var options = new SqliteStorageOptions { DatabasePath = path };

        var failure = Assert.Throws<OrleansConfigurationException>(() => Create(options));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
        Assert.Contains("'goals'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_with_a_non_positive_busy_timeout_fail_fast()
    {
        var options = new SqliteStorageOptions { DatabasePath = DatabasePath, BusyTimeout = TimeSpan.Zero };

        var failure = Assert.Throws<OrleansConfigurationException>(() => Create(options));

        Assert.Contains("BusyTimeout", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_silo_extension_registers_a_keyed_grain_storage_that_joins_the_silo_lifecycle()
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSerializer(serializer => serializer
                .AddAssembly(typeof(CounterState).Assembly)
                .AddAssembly(typeof(JsonElementSurrogate).Assembly));
        new TestSiloBuilder(services).AddSqliteGrainStorage(StorageNames.Goals, options => options.DatabasePath = DatabasePath);
        await using var provider = services.BuildServiceProvider();

        var storage = provider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Goals);
        var participants = provider.GetServices<ILifecycleParticipant<ISiloLifecycle>>();

        Assert.IsType<SqliteGrainStorage>(storage);
        Assert.Contains(participants, participant => ReferenceEquals(participant, storage));
        var state = new GrainState<CounterState>(new CounterState { Count = 3 });
        await storage.WriteStateAsync(StateName, Grain("a"), state);
        var read = new GrainState<CounterState>();
        await storage.ReadStateAsync(StateName, Grain("a"), read);
        Assert.Equal(3, Counter(read).Count);
    }

    public void Dispose()
    {
        foreach (var storage in _opened)
        {
            storage.Dispose();
        }

        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    // State is nullable on IGrainState; a null here is a failure, reported as one.
    [Fact]
    public Task The_due_index_lists_what_the_last_write_made_due() =>
        DueIndexContract.ListsWhatTheLastWriteMadeDueAsync(Open());

    [Fact]
    public async Task A_file_made_before_the_due_index_gains_it_and_keeps_its_rows()
    {
        // The table as the first versions made it: no due_at column.
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        using (var old = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            old.Open();
            using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE grain_state (state_name TEXT NOT NULL, grain_id TEXT NOT NULL, payload BLOB NOT NULL,
                    etag TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (state_name, grain_id));
                """;
            create.ExecuteNonQuery();
        }

        var storage = Open();
        var state = new GrainState<CounterState>(new CounterState { Count = 3 });
        await storage.WriteStateAsync(StateName, Grain("old"), state);

        // Opening again finds the column and changes nothing; the row written is still there and nothing is due.
        storage.Dispose();
        var reopened = Open();
        Assert.Equal(3, Counter(await ReadAsync(reopened, "old")).Count);
        Assert.Empty(await reopened.DueAsync(StateName, DateTimeOffset.MaxValue, null, 10, CancellationToken.None));
        using var connection = RawConnection();
        using var columns = connection.CreateCommand();
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('grain_state') WHERE name = 'due_at';";
        Assert.Equal(1L, columns.ExecuteScalar());
    }

    private static CounterState Counter(IGrainState<CounterState> state) => Assert.IsType<CounterState>(state.State);

    private static GrainId Grain(string key) => GrainId.Create("counter-grain", key);

    private static async Task<GrainState<CounterState>> ReadAsync(SqliteGrainStorage storage, string key)
    {
        var state = new GrainState<CounterState>();
        await storage.ReadStateAsync(StateName, Grain(key), state);
        return state;
    }

    private SqliteGrainStorage Open()
    {
        var storage = Create(new SqliteStorageOptions { DatabasePath = DatabasePath });
        _opened.Add(storage);
        return storage;
    }

    private SqliteGrainStorage Create(SqliteStorageOptions options) => new(
        StorageNames.Goals,
        options,
        new OrleansGrainStorageSerializer(Services.GetRequiredService<Serializer>()),
        Services.GetRequiredService<IActivatorProvider>(),
        _time,
        NullLogger<SqliteGrainStorage>.Instance);

    private SqliteConnection RawConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    private (long Version, string UpdatedAt) RawRow(GrainId grainId) =>
        RawRowOrNull(grainId) ?? throw new InvalidOperationException($"No row for {grainId}.");

    private (long Version, string UpdatedAt)? RawRowOrNull(GrainId grainId)
    {
        using var connection = RawConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, updated_at FROM grain_state WHERE state_name = $state_name AND grain_id = $grain_id;";
        command.Parameters.AddWithValue("$state_name", StateName);
        command.Parameters.AddWithValue("$grain_id", grainId.ToString());
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private sealed class TestSiloBuilder(IServiceCollection services) : ISiloBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
    }
}
