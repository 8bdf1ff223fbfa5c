using Mdl.Silo.Postgres;
using Mdl.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Mdl.Tests.Postgres;

/// <summary>The schema migrations against a real PostgreSQL: once each, safe to repeat, safe to race, never silently edited.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMigratorTests(PostgresServer server)
{
    private static readonly IReadOnlyList<PostgresMigration> Shipped = PostgresMigration.Embedded();

    [Fact]
    public void The_silo_ships_numbered_migrations_for_every_provider()
    {
        Assert.Equal(
            ["0001_membership.sql", "0002_persistence.sql", "0003_reminders.sql", "0004_streaming.sql"],
            Shipped.Select(m => m.Name).Take(4));
        Assert.Equal(Shipped.Count, Shipped.Select(m => m.Version).Distinct().Count());
    }

    [Fact]
    public async Task Applying_twice_applies_everything_once_and_then_nothing()
    {
        var database = await server.CreateDatabaseAsync("migrate_twice");
        var migrator = new PostgresMigrator();

        var first = await migrator.ApplyAsync(database, NullLogger.Instance, CancellationToken.None);
        var second = await migrator.ApplyAsync(database, NullLogger.Instance, CancellationToken.None);

        Assert.Equal(Shipped.Select(m => m.Name), first);
        Assert.Empty(second);
        Assert.Equal(Shipped.Select(m => m.Version), await AppliedVersionsAsync(database));
    }

    [Fact]
    public async Task Three_silos_migrating_a_fresh_database_at_once_apply_each_version_once()
    {
        var database = await server.CreateDatabaseAsync("migrate_race");

        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(
            () => new PostgresMigrator().ApplyAsync(database, NullLogger.Instance, CancellationToken.None))));

        // The lock lets one of them apply everything; the others find the history complete.
        Assert.Equal(Shipped.Select(m => m.Name).Order(), results.SelectMany(r => r).Order());
        Assert.Single(results, r => r.Count > 0);
        Assert.Equal(Shipped.Select(m => m.Version), await AppliedVersionsAsync(database));
    }

    [Fact]
    public async Task An_applied_migration_whose_script_changed_is_refused_with_what_to_do()
    {
        var database = await server.CreateDatabaseAsync("migrate_edited");
        await new PostgresMigrator().ApplyAsync(database, NullLogger.Instance, CancellationToken.None);
        var edited = Shipped.Select(m => m.Version == 2 ? m with { Sql = m.Sql + "\n-- an edit after release\n" } : m).ToList();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new PostgresMigrator(edited).ApplyAsync(database, NullLogger.Instance, CancellationToken.None));

        Assert.Contains("0002_persistence.sql", refused.Message, StringComparison.Ordinal);
        Assert.Contains("must never change", refused.Message, StringComparison.Ordinal);
        Assert.Contains("new migration", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_migration_is_applied_on_top_of_the_shipped_ones_in_its_own_transaction()
    {
        var database = await server.CreateDatabaseAsync("migrate_next");
        await new PostgresMigrator().ApplyAsync(database, NullLogger.Instance, CancellationToken.None);
        var next = Shipped[^1].Version + 1;
        var broken = new PostgresMigration(next, $"{next:0000}_broken.sql", "CREATE TABLE half_done (id int); SELECT no_such_function();");

        await Assert.ThrowsAsync<PostgresException>(
            () => new PostgresMigrator([.. Shipped, broken]).ApplyAsync(database, NullLogger.Instance, CancellationToken.None));

        // Rolled back as a whole: neither the table nor the history row exists.
        Assert.Equal(0L, await PostgresServer.ScalarAsync<long>(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"));
        Assert.DoesNotContain(next, await AppliedVersionsAsync(database));
    }

    private static async Task<List<int>> AppliedVersionsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT version FROM mdl_schema_migrations ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }
}
