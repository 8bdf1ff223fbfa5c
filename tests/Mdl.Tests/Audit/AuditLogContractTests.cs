using System.Text.Json;
using Mdl.Audit;

namespace Mdl.Tests.Audit;

/// <summary>What every <see cref="IAuditLog"/> must do, run against each implementation.</summary>
public abstract class AuditLogContractTests
{
    /// <summary>A moment to stamp entries with.</summary>
    protected static readonly DateTimeOffset Start = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The log under test, fresh and empty.</summary>
    protected abstract IAuditLog Log { get; }

    [Fact]
    public async Task Append_numbers_a_goals_entries_from_1_and_chains_each_onto_the_one_before()
    {
        var goal = NewGoalId();

        var first = await Log.AppendAsync(Record(goal, AuditKinds.Defined, """{"version":1}"""));
        var second = await Log.AppendAsync(Record(goal, AuditKinds.Decision, """{"seq":1, "chosen":"notify.push"}"""));
        var third = await Log.AppendAsync(Record(goal, AuditKinds.Paused, "{}"));

        Assert.Equal([1L, 2L, 3L], new[] { first.Seq, second.Seq, third.Seq });
        Assert.Equal(AuditChain.GenesisHash, first.PrevHash);
        Assert.Equal(first.Hash, second.PrevHash);
        Assert.Equal(second.Hash, third.PrevHash);
        Assert.Equal(AuditChain.Hash(first.Hash, second), second.Hash);
        Assert.Equal("""{"chosen":"notify.push","seq":1}""", second.Data.GetRawText());
        Assert.Equal(AuditKinds.Decision, second.Kind);
        Assert.Equal(goal, second.GoalId);
    }

    [Fact]
    public async Task Read_returns_what_was_appended_oldest_first_and_the_chain_verifies()
    {
        var goal = NewGoalId();
        var appended = new List<AuditEntry>();
        for (var i = 0; i < 5; i++)
        {
            appended.Add(await Log.AppendAsync(Record(goal, AuditKinds.Call, $$"""{"n":{{i}}}""", Start.AddMilliseconds(i * 1.5))));
        }

        var read = await Log.ReadAsync(goal, 0, 100);

        Assert.Equal(appended.Select(Describe), read.Select(Describe));
        Assert.Null(AuditChain.Verify(read));
    }

    [Fact]
    public async Task Read_pages_by_after_seq_and_limit()
    {
        var goal = NewGoalId();
        for (var i = 0; i < 7; i++)
        {
            await Log.AppendAsync(Record(goal, AuditKinds.Call, "{}"));
        }

        Assert.Equal([1L, 2L, 3L], (await Log.ReadAsync(goal, 0, 3)).Select(e => e.Seq));
        Assert.Equal([4L, 5L, 6L], (await Log.ReadAsync(goal, 3, 3)).Select(e => e.Seq));
        Assert.Equal([7L], (await Log.ReadAsync(goal, 6, 3)).Select(e => e.Seq));
        Assert.Empty(await Log.ReadAsync(goal, 7, 3));
        Assert.Empty(await Log.ReadAsync(goal, 70, 3));
    }

    [Fact]
    public async Task Each_goal_has_its_own_chain_and_an_unknown_goal_has_none()
    {
        var a = NewGoalId();
        var b = NewGoalId();

        await Log.AppendAsync(Record(a, AuditKinds.Defined, "{}"));
        var firstOfB = await Log.AppendAsync(Record(b, AuditKinds.Defined, "{}"));
        await Log.AppendAsync(Record(a, AuditKinds.Paused, "{}"));

        Assert.Equal(1, firstOfB.Seq);
        Assert.Equal(AuditChain.GenesisHash, firstOfB.PrevHash);
        Assert.Equal(2, (await Log.ReadAsync(a, 0, 10)).Length);
        Assert.Single(await Log.ReadAsync(b, 0, 10));
        Assert.Empty(await Log.ReadAsync(NewGoalId(), 0, 10));
    }

    [Fact]
    public async Task Concurrent_appends_to_one_goal_keep_one_valid_chain()
    {
        var goal = NewGoalId();
        const int count = 200;

        var appended = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            Task.Run(() => Log.AppendAsync(Record(goal, AuditKinds.Outcome, $$"""{"i":{{i}}}""")))));

        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), appended.Select(e => e.Seq).Order());
        var read = await ReadAllAsync(goal);
        Assert.Equal(count, read.Count);
        Assert.Null(AuditChain.Verify(read));
        Assert.Equal(Enumerable.Range(0, count), read.Select(e => e.Data.GetProperty("i").GetInt32()).Order());
    }

    [Fact]
    public async Task Append_refuses_a_record_without_goal_or_kind()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Log.AppendAsync(Record(" ", AuditKinds.Call, "{}")));
        await Assert.ThrowsAsync<ArgumentException>(() => Log.AppendAsync(Record(NewGoalId(), "", "{}")));
    }

    [Fact]
    public async Task Read_refuses_a_negative_position_and_a_limit_outside_1_to_1000()
    {
        var goal = NewGoalId();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.ReadAsync(goal, -1, 10));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.ReadAsync(goal, 0, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.ReadAsync(goal, 0, IAuditGrain.MaxPageSize + 1));
        await Assert.ThrowsAsync<ArgumentException>(() => Log.ReadAsync("", 0, 10));
    }

    /// <summary>A record for <paramref name="goalId"/> with JSON <paramref name="data"/>.</summary>
    protected static AuditRecord Record(string goalId, string kind, string data, DateTimeOffset? time = null)
    {
        using var document = JsonDocument.Parse(data);
        return new AuditRecord(goalId, kind, time ?? Start, document.RootElement.Clone());
    }

    /// <summary>A fresh goal id.</summary>
    protected static string NewGoalId() => "audit-" + Guid.NewGuid().ToString("n")[..12];

    /// <summary>Every entry of <paramref name="goalId"/>, page by page.</summary>
    protected async Task<List<AuditEntry>> ReadAllAsync(string goalId)
    {
        var all = new List<AuditEntry>();
        while (true)
        {
            var page = await Log.ReadAsync(goalId, all.Count == 0 ? 0 : all[^1].Seq, 50);
            all.AddRange(page);
            if (page.Length < 50)
            {
                return all;
            }
        }
    }

    /// <summary>An entry as comparable text (JsonElement has no value equality).</summary>
    protected static string Describe(AuditEntry e) =>
        $"{e.GoalId}|{e.Seq}|{AuditChain.FormatTime(e.Time)}|{e.Kind}|{e.Data.GetRawText()}|{e.PrevHash}|{e.Hash}";
}

/// <summary>The contract against the in-memory log of test clusters.</summary>
public sealed class InMemoryAuditLogTests : AuditLogContractTests
{
    /// <inheritdoc />
    protected override IAuditLog Log { get; } = new InMemoryAuditLog();
}
