using System.Runtime.CompilerServices;
using Mdl.Decisions;
using Mdl.Goals;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

using static Mdl.Tests.Goals.SampleDecisions;

namespace Mdl.Tests.Goals;

/// <summary>
/// A goal's history held as bytes: it merges decisions exactly as records merge, reads and writes the stored form the
/// history always had, takes the bytes the goal's state made, and keeps no record object of what it holds.
/// </summary>
public sealed class DecisionArchiveTests
{
    private static readonly Serializer Serializer = ProductSerializer.Serializer;

    private static readonly Serializer<DecisionRecord> Records = ProductSerializer.Services.GetRequiredService<Serializer<DecisionRecord>>();

    private int _serialized;

    [Fact]
    public void Decisions_round_trip_and_are_written_again_from_the_bytes_they_were_read_from()
    {
        var history = new DecisionHistoryState { Decisions = [Decision(1, outcome: true), Decision(2)] };

        var bytes = Serializer.SerializeToArray(history);
        var read = Serializer.Deserialize<DecisionHistoryState>(bytes)!;

        Assert.Equal([1L, 2L], read.Decisions.Select(d => d.Seq));
        Assert.Equal("gap 1", read.Decisions.Find(1)!.Reason);
        Assert.Equal(OutcomeStatus.Succeeded, read.Decisions.Find(1)!.Outcome!.Status);
        Assert.Equal("""{"n":2}""", read.Decisions.Find(read.Decisions.NewestSeq)!.Arguments!.Value.GetRawText());
        Assert.Null(read.Decisions.Find(3));
        Assert.Equal(bytes, Serializer.SerializeToArray(read));
    }

    [Fact]
    public void The_stored_form_is_the_one_histories_had_as_decision_logs()
    {
        // Histories stored before the archive held bytes were written by the decision log's codec: each reads the other's.
        DecisionRecord[] records = [Decision(1, outcome: true), Decision(2)];
        var asLog = Serializer.SerializeToArray(new DecisionLog(records));
        var asArchive = Serializer.SerializeToArray(Archive(records));

        Assert.Equal(asLog, asArchive);
        Assert.Equal([1L, 2L], Serializer.Deserialize<DecisionArchive>(asLog)!.Select(d => d.Seq));
        Assert.Equal([1L, 2L], Serializer.Deserialize<DecisionLog>(asArchive)!.Select(d => d.Seq));
    }

    public static TheoryData<string> MergeCases => ["append", "late outcome", "older without outcome", "out of order", "trim", "bare outcome"];

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void Merging_gives_what_merging_records_gives(string name)
    {
        // The held side as the history holds it after a read (bytes only), the batch as a goal's state hands it over.
        var (held, batch, keep) = name switch
        {
            "append" => (new[] { Decision(1, outcome: true) }, new[] { Decision(2, outcome: true), Decision(3) }, 50),
            "late outcome" => ([Decision(1, outcome: true), Decision(2)], [Decision(2, outcome: true)], 50),
            "older without outcome" => ([Decision(1, outcome: true)], [Decision(1)], 50),
            "out of order" => ([Decision(1), Decision(3)], [Decision(2, outcome: true)], 50),
            "trim" => ([Decision(1), Decision(2), Decision(3)], [Decision(4), Decision(5)], 3),
            "bare outcome" => ([Decision(1)], [new DecisionRecord { Seq = 1, GoalId = "g", Chosen = "f", Outcome = Outcome }], 50),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var expected = held.ToList();
        DecisionMerge.Into(expected, batch, keep);

        var archive = Serializer.Deserialize<DecisionArchive>(Serializer.SerializeToArray(Archive(held)))!;
        archive.Merge(new ArchiveBatch(batch, 0), [], keep);

        var merged = Serializer.Deserialize<DecisionArchive>(Serializer.SerializeToArray(archive))!.ToArray();
        Assert.Equal(expected.Select(AsJson), merged.Select(AsJson));
    }

    [Fact]
    public void A_decision_moves_in_with_the_bytes_the_goals_state_kept_for_it()
    {
        var done = Decision(1, outcome: true);
        var waiting = Decision(2);
        var state = new DecisionLog([done, waiting]);
        state.Encode(KeepingSerialize);
        Assert.Equal(2, _serialized);

        // The finished decision's bytes were kept by the state's write; the waiting one's were scratch memory, so the
        // archive serialises it once, when it is written.
        var archive = new DecisionArchive();
        archive.Merge(new ArchiveBatch([done, waiting], 0), state, 50);
        _serialized = 0;
        var parts = archive.Encode(CountingSerialize, Decode);

        Assert.Equal(1, _serialized);
        Assert.Equal(state.KeptBytesOf(done)!.Value.ToArray(), parts[0].ToArray());
        archive.Encode(CountingSerialize, Decode);
        Assert.Equal(1, _serialized);
    }

    [Fact]
    public void It_keeps_no_record_object_of_a_decision_once_written()
    {
        var (archive, record) = MergedAndWritten();
        var seq = record.TryGetTarget(out var alive) ? alive.Seq : -1;
        alive = null;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(record.TryGetTarget(out _), "the archive still holds the record it merged");
        Assert.Equal("gap 1", archive.Find(seq)!.Reason);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (DecisionArchive Archive, WeakReference<DecisionRecord> Record) MergedAndWritten()
    {
        var record = Decision(1, outcome: true);
        var state = new DecisionLog([record]);
        state.Encode(KeepingSerialize);
        var archive = new DecisionArchive();
        archive.Merge(new ArchiveBatch([record], 0), state, 50);
        archive.Encode(CountingSerialize, Decode);
        return (archive, new WeakReference<DecisionRecord>(record));
    }

    private ReadOnlyMemory<byte> KeepingSerialize(DecisionRecord record, bool keep)
    {
        _serialized++;
        return Records.SerializeToArray(record);
    }

    private byte[] CountingSerialize(DecisionRecord record)
    {
        _serialized++;
        return Records.SerializeToArray(record);
    }

    private static DecisionRecord Decode(ReadOnlyMemory<byte> bytes) => Records.Deserialize(bytes)!;

    private static DecisionArchive Archive(IEnumerable<DecisionRecord> records)
    {
        var archive = new DecisionArchive();
        foreach (var record in records)
        {
            archive.Add(record);
        }

        return archive;
    }
}
