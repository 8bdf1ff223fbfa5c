using Mdl.Audit;
using Mdl.Silo.Postgres;
using Mdl.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Mdl.Tests.Audit;

/// <summary>
/// The PostgreSQL audit log against the contract every log meets, on a database migrated by the silo's own
/// migrations, plus what only a shared database shows: two silos chaining one goal, tampering, and the append-only table.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAuditLogTests(PostgresServer postgres) : AuditLogContractTests, IAsyncLifetime
{
    private string _connectionString = "";
    private PostgresAuditLog? _log;

    /// <inheritdoc />
    protected override IAuditLog Log => _log ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync("audit");
        await new PostgresMigrator().ApplyAsync(_connectionString, NullLogger.Instance, CancellationToken.None);
        _log = new PostgresAuditLog(_connectionString);
    }

    public async Task DisposeAsync()
    {
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_logs_on_one_database_like_two_silos_still_chain_one_goal_correctly()
    {
        await using var other = new PostgresAuditLog(_connectionString);
        var goal = NewGoalId();

        var appended = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            (i % 2 == 0 ? Log : other).AppendAsync(Record(goal, AuditKinds.Call, $$"""{"i":{{i}}}"""))));

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), appended.Select(e => e.Seq).Order());
        Assert.Null(AuditChain.Verify(await ReadAllAsync(goal)));
    }

    [Fact]
    public async Task The_table_refuses_updates_deletes_and_truncate()
    {
        var goal = await AppendFiveAsync();

        var update = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync($"UPDATE mdl_audit_log SET kind = 'x' WHERE goal_id = '{goal}';"));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync($"DELETE FROM mdl_audit_log WHERE goal_id = '{goal}';"));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("TRUNCATE mdl_audit_log;"));

        Assert.All(new[] { update, delete, truncate }, e => Assert.Contains("append-only", e.MessageText));
        Assert.Equal(5, (await Log.ReadAsync(goal, 0, 100)).Length);
        Assert.Null(AuditChain.Verify(await Log.ReadAsync(goal, 0, 100)));
    }

    [Fact]
    public async Task Verify_names_the_entry_a_superuser_changed_or_removed_behind_the_triggers()
    {
        var changed = await AppendFiveAsync();
        var removed = await AppendFiveAsync();

        // What someone with the database's owner rights could do: switch the triggers off, then rewrite history.
        await ExecuteAsync(
            "ALTER TABLE mdl_audit_log DISABLE TRIGGER USER;" +
            $"UPDATE mdl_audit_log SET data = '{{\"n\":3,\"amount\":1000000}}' WHERE goal_id = '{changed}' AND seq = 3;" +
            $"DELETE FROM mdl_audit_log WHERE goal_id = '{removed}' AND seq = 2;" +
            "ALTER TABLE mdl_audit_log ENABLE TRIGGER USER;");

        var broken = AuditChain.Verify(await Log.ReadAsync(changed, 0, 100));
        Assert.Equal(3, broken!.Seq);
        Assert.Equal(AuditBreakKind.HashMismatch, broken.Kind);
        var gap = AuditChain.Verify(await Log.ReadAsync(removed, 0, 100));
        Assert.Equal(2, gap!.Seq);
        Assert.Equal(AuditBreakKind.Gap, gap.Kind);
    }

    private async Task<string> AppendFiveAsync()
    {
        var goal = NewGoalId();
        for (var i = 1; i <= 5; i++)
        {
            await Log.AppendAsync(Record(goal, AuditKinds.Call, $$"""{"n":{{i}}}"""));
        }

        return goal;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
