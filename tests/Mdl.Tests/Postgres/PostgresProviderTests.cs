using System.Net.Http.Json;
using System.Text;
using Mdl.Goals;
using Mdl.Storage;
using Mdl.Tests.Storage;
using Mdl.Tests.Goals;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Mdl.Tests.Postgres;

/// <summary>
/// Every Orleans ADO.NET provider of postgres mode against the project's schema, through real silo hosts: grain state,
/// membership, reminders and streams, and a goal's state across a restart.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresProviderTests(PostgresServer server)
{
    [Fact]
    public async Task Grain_state_is_written_read_and_cleared_under_etag_checks()
    {
        var database = await server.CreateDatabaseAsync("storage");
        await using var silo = await PostgresSilo.StartAsync(database, "storage");
        var storage = silo.App.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Goals);

        // A string key, and an integer key with an extension: the two shapes the schema's key columns hold.
        foreach (var grain in new[]
                 {
                     GrainId.Create("test.counter", "string-key"),
                     GrainId.Create(GrainType.Create("test.counter"), GrainIdKeyExtensions.CreateIntegerKey(42, "extension")),
                 })
        {
            var first = new GrainState<CounterState>(new CounterState { Count = 1 });
            await storage.WriteStateAsync("test.counter", grain, first);
            var stale = new GrainState<CounterState>();
            await storage.ReadStateAsync("test.counter", grain, stale);
            Assert.Equal(1, stale.State!.Count);
            Assert.True(stale.RecordExists);

            first.State!.Count = 2;
            await storage.WriteStateAsync("test.counter", grain, first);
            Assert.NotEqual(stale.ETag, first.ETag);

            // Whoever read before the last write loses: writing or clearing with its ETag changes nothing.
            stale.State!.Count = 99;
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("test.counter", grain, stale));
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("test.counter", grain, stale));
            var current = new GrainState<CounterState>();
            await storage.ReadStateAsync("test.counter", grain, current);
            Assert.Equal(2, current.State!.Count);

            // A first write of a grain that already has state is stale too.
            await Assert.ThrowsAsync<InconsistentStateException>(
                () => storage.WriteStateAsync("test.counter", grain, new GrainState<CounterState>(new CounterState { Count = 7 })));

            await storage.ClearStateAsync("test.counter", grain, current);
            Assert.False(current.RecordExists);
            var cleared = new GrainState<CounterState>();
            await storage.ReadStateAsync("test.counter", grain, cleared);
            Assert.False(cleared.RecordExists);
            Assert.Equal(0, cleared.State!.Count);

            // The cleared row keeps its version, so the clearer can write again and a pre-clear ETag cannot.
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("test.counter", grain, first));
            current.State!.Count = 3;
            await storage.WriteStateAsync("test.counter", grain, current);
        }
    }

    [Fact]
    public async Task Reminder_rows_are_kept_by_grain_and_by_ring_range_under_etag_checks()
    {
        var database = await server.CreateDatabaseAsync("reminders");
        await using var silo = await PostgresSilo.StartAsync(database, "reminders");
        var table = silo.App.Services.GetRequiredService<IReminderTable>();
        var a = GrainId.Create("test.reminded", "a");
        var b = GrainId.Create("test.reminded", "b");
        var start = DateTime.UtcNow.AddHours(1);

        var etagA = await table.UpsertRow(new ReminderEntry { GrainId = a, ReminderName = "tick", StartAt = start, Period = TimeSpan.FromMinutes(5) });
        await table.UpsertRow(new ReminderEntry { GrainId = b, ReminderName = "tick", StartAt = start, Period = TimeSpan.FromDays(30) });

        var row = await table.ReadRow(a, "tick");
        Assert.Equal(etagA, row!.ETag);
        Assert.Equal(TimeSpan.FromMinutes(5), row.Period);
        Assert.Equal(start, row.StartAt, TimeSpan.FromMilliseconds(1));
        Assert.Single((await table.ReadRows(a)).Reminders);

        // A range that does not wrap holds a's hash; the one that wraps around the ring from there holds everything else.
        var hashA = a.GetUniformHashCode();
        var justA = await table.ReadRows(hashA - 1, hashA);
        Assert.Contains(justA.Reminders, r => r.GrainId == a);
        var allButA = await table.ReadRows(hashA, hashA - 1);
        Assert.DoesNotContain(allButA.Reminders, r => r.GrainId == a);
        Assert.Contains(allButA.Reminders, r => r.GrainId == b);

        var newEtag = await table.UpsertRow(new ReminderEntry { GrainId = a, ReminderName = "tick", StartAt = start, Period = TimeSpan.FromMinutes(6) });
        Assert.NotEqual(etagA, newEtag);
        Assert.False(await table.RemoveRow(a, "tick", etagA!));
        Assert.True(await table.RemoveRow(a, "tick", newEtag!));
        Assert.Null(await table.ReadRow(a, "tick"));
    }

    [Fact]
    public async Task Two_silos_join_one_cluster_through_the_membership_table_and_one_leaves()
    {
        var database = await server.CreateDatabaseAsync("membership");
        await using var first = await PostgresSilo.StartAsync(database, "pair");
        var management = first.Client.GetGrain<IManagementGrain>(0);
        var second = await PostgresSilo.StartAsync(database, "pair");
        try
        {
            await Eventually.WaitAsync(() => management.GetHosts(onlyActive: true), hosts => hosts.Count == 2, "both silos active", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await second.DisposeAsync();
        }

        await Eventually.WaitAsync(() => management.GetHosts(onlyActive: true), hosts => hosts.Count == 1, "the second silo to leave", TimeSpan.FromSeconds(30));
        Assert.Equal(6, await PostgresServer.ScalarAsync<int>(database, $"SELECT status FROM orleans_membership WHERE port = {second.SiloPort}"));
    }

    [Fact]
    public async Task A_goal_acts_hears_its_topic_through_the_durable_stream_and_survives_a_restart_with_its_reminder()
    {
        var database = await server.CreateDatabaseAsync("goal");
        var id = Definitions.NewGoalId("pg");
        var reminded = Definitions.NewGoalId("pg-reminded");
        GoalSnapshot before;
        await using (var first = await PostgresSilo.StartAsync(database, "goal"))
        {
            var definition = System.Text.Json.JsonSerializer.Serialize(Definitions.Engagement(id), MdlJson.Options);
            (await first.Http.PutAsync($"/api/goals/{id}", Json(definition))).EnsureSuccessStatusCode();
            (await first.Http.PostAsync($"/api/goals/{id}/observations", Json("""{"id":"o1","kind":"user.activity","data":{"score":0.3}}"""))).EnsureSuccessStatusCode();
            var acted = await Eventually.WaitAsync(
                () => first.Http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{id}", MdlJson.Options),
                s => s!.InFlight.Length == 0 && s.DecisionsMade >= 1,
                "the goal to act");

            // The topic goes through the ADO.NET stream provider: queued in PostgreSQL, pulled, delivered, confirmed.
            (await first.Http.PostAsync("/api/topics/catalog.updates/observations", Json("""{"kind":"user.activity","data":{"score":0.99}}"""))).EnsureSuccessStatusCode();
            before = (await Eventually.WaitAsync(
                () => first.Http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{id}", MdlJson.Options),
                s => s!.ObservationsProcessed > acted!.ObservationsProcessed && s.InFlight.Length == 0,
                "the topic observation", TimeSpan.FromSeconds(30)))!;
            await Eventually.WaitAsync(
                () => PostgresServer.ScalarAsync<long>(database, "SELECT count(*) FROM orleans_stream_message"),
                count => count == 0,
                "delivered stream messages to be confirmed", TimeSpan.FromSeconds(30));

            // Due shortly after the restart below: the next silo must find it in the table and fire it.
            await first.App.Services.GetRequiredService<IReminderTable>().UpsertRow(new ReminderEntry
            {
                GrainId = GrainId.Create("mdl.goal", reminded),
                ReminderName = "wake-up",
                StartAt = DateTime.UtcNow.AddSeconds(12),
                Period = TimeSpan.FromHours(1),
            });
        }

        await using var second = await PostgresSilo.StartAsync(database, "goal");
        var after = await second.Http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{id}", MdlJson.Options);
        Assert.Equal(before.Metrics, after!.Metrics);
        Assert.Equal(before.DecisionsMade, after.DecisionsMade);
        Assert.Equal(before.ObservationsProcessed, after.ObservationsProcessed);
        Assert.Equal(before.Spend.Total, after.Spend.Total);
        var again = await second.Http.PostAsync($"/api/goals/{id}/observations", Json("""{"id":"o1","kind":"user.activity","data":{"score":0.3}}"""));
        Assert.Contains("\"duplicates\":1", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A goal with no wake-up pending drops the reminder when it fires, so the row's removal shows it fired.
        await Eventually.WaitAsync(
            () => PostgresServer.ScalarAsync<long>(database, $"SELECT count(*) FROM orleans_reminders WHERE grain_id = 'mdl.goal/{reminded}'"),
            count => count == 0,
            "the reminder to fire", TimeSpan.FromSeconds(45));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
