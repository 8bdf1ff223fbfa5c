using Mdl.Silo.Postgres;
using Mdl.Tests.Storage;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mdl.Tests.Postgres;

/// <summary>
/// The goal state storage of postgres mode, on its own: writes from many grains share commits, and sharing one never
/// lets a stale writer through or loses a fresh one. (Its ETag contract through a real silo is in PostgresProviderTests.)
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GroupCommitGrainStorageTests(PostgresServer server) : IAsyncLifetime
{
    private const string StateName = "counter";

    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(CounterState).Assembly))
        .BuildServiceProvider();

    private GroupCommitGrainStorage _storage = null!;

    public async Task InitializeAsync()
    {
        var database = await server.CreateDatabaseAsync("group_commit");
        await new PostgresMigrator().ApplyAsync(database, NullLogger.Instance, CancellationToken.None);
        _storage = new GroupCommitGrainStorage(
            "goals",
            database,
            new GroupCommitOptions { Committers = 2, MaxBatch = 64 },
            new OrleansGrainStorageSerializer(Services.GetRequiredService<Serializer>()),
            Services.GetRequiredService<IActivatorProvider>(),
            NullLogger<GroupCommitGrainStorage>.Instance);
        await _storage.Start(CancellationToken.None);
    }

    public Task DisposeAsync() => _storage.StopAsync(CancellationToken.None);

    [Fact]
    public async Task Concurrent_writes_of_many_grains_all_commit_in_fewer_transactions_than_writes()
    {
        const int Grains = 300;
        var states = Enumerable.Range(0, Grains).Select(i => new GrainState<CounterState>(new CounterState { Count = i })).ToArray();

        // Two rounds: inserts (no ETag yet), then compare-and-swap updates.
        for (var round = 1; round <= 2; round++)
        {
            var r = round;
            await Task.WhenAll(states.Select((s, i) =>
            {
                s.State!.Count = i * 10 + r;
                return _storage.WriteStateAsync(StateName, Grain(i), s);
            }));
        }

        for (var i = 0; i < Grains; i++)
        {
            var read = new GrainState<CounterState>();
            await _storage.ReadStateAsync(StateName, Grain(i), read);
            Assert.Equal(i * 10 + 2, read.State!.Count);
            Assert.Equal(states[i].ETag, read.ETag);
        }

        var (commits, writes) = _storage.Committed;
        Assert.Equal(2 * Grains, writes);
        Assert.True(commits < writes, $"{writes} writes took {commits} commits: nothing was grouped");
    }

    [Fact]
    public async Task A_stale_writer_in_a_shared_commit_fails_alone_and_changes_nothing()
    {
        var owner = new GrainState<CounterState>(new CounterState { Count = 1 });
        await _storage.WriteStateAsync(StateName, Grain(-1), owner);
        var stale = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain(-1), stale);
        owner.State!.Count = 2;
        await _storage.WriteStateAsync(StateName, Grain(-1), owner);

        // The stale write queued among fresh ones, so they are likely to share its transaction.
        stale.State!.Count = 99;
        var others = Enumerable.Range(0, 100).Select(i => new GrainState<CounterState>(new CounterState { Count = i })).ToArray();
        var staleWrite = _storage.WriteStateAsync(StateName, Grain(-1), stale);
        var freshWrites = Task.WhenAll(others.Select((s, i) => _storage.WriteStateAsync(StateName, Grain(1000 + i), s)));

        await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);
        await freshWrites;
        var current = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain(-1), current);
        Assert.Equal(2, current.State!.Count);
        Assert.Equal(owner.ETag, current.ETag);
        Assert.All(others, s => Assert.NotNull(s.ETag));
    }

    [Fact]
    public async Task Clear_needs_the_current_etag_and_a_cleared_grain_starts_again_from_no_row()
    {
        var state = new GrainState<CounterState>(new CounterState { Count = 5 });
        await _storage.WriteStateAsync(StateName, Grain(7), state);
        var stale = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain(7), stale);
        await _storage.WriteStateAsync(StateName, Grain(7), state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateName, Grain(7), stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateName, Grain(7), new GrainState<CounterState>()));
        await _storage.ClearStateAsync(StateName, Grain(7), state);

        Assert.False(state.RecordExists);
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateName, Grain(7), stale));
        await _storage.WriteStateAsync(StateName, Grain(7), state);
        Assert.True(state.RecordExists);
    }

    [Fact]
    public Task The_due_index_lists_what_the_last_write_made_due() =>
        DueIndexContract.ListsWhatTheLastWriteMadeDueAsync(_storage);

    private static GrainId Grain(int n) => GrainId.Create("counter-grain", n.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
