using Mdl.Decisions;
using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>
/// What a decision log keeps between writes: a record's bytes from its first write once it has its outcome (else from its
/// second), and the bytes it was read from; nothing of a record it no longer holds.
/// </summary>
public sealed class DecisionLogTests
{
    private int _serialized;

    private int _kept;

    private ReadOnlyMemory<byte> Serialize(DecisionRecord record, bool keep)
    {
        _serialized++;
        _kept += keep ? 1 : 0;
        return BitConverter.GetBytes(record.Seq);
    }

    [Fact]
    public void A_record_is_serialised_on_its_first_two_writes_and_then_from_the_bytes_kept()
    {
        var first = new DecisionRecord { Seq = 1 };
        var log = new DecisionLog([first]);

        log.Encode(Serialize);
        log.Encode(Serialize);
        Assert.Equal((2, 1), (_serialized, _kept));

        var parts = log.Encode(Serialize);
        log.Encode(Serialize);
        Assert.Equal((2, 1), (_serialized, _kept));
        Assert.Equal(BitConverter.GetBytes(1L), parts.Single().ToArray());
    }

    [Fact]
    public void A_changed_record_is_serialised_anew_and_a_removed_one_leaves_nothing_behind()
    {
        var first = new DecisionRecord { Seq = 1 };
        var log = new DecisionLog([first]);
        log.Encode(Serialize);
        log.Encode(Serialize);

        // Records are immutable: gaining an outcome makes a new record, which has no bytes kept yet. It never changes
        // again, so its first write keeps them.
        log[0] = first with { Outcome = Succeeded };
        log.Encode(Serialize);
        log.Encode(Serialize);
        Assert.Equal((3, 2), (_serialized, _kept));

        // Removed (archived) and written again later, the same record starts over: its kept bytes went with it.
        var changed = log[0];
        log.RemoveAll(r => r.Seq == 1);
        log.Add(changed);
        log.Encode(Serialize);
        Assert.Equal(4, _serialized);
    }

    [Fact]
    public void A_record_read_from_storage_is_written_again_from_the_bytes_it_was_read_from()
    {
        var stored = new DecisionLog([new DecisionRecord { Seq = 7 }]);
        var block = Block(stored.Encode(Serialize));
        _serialized = 0;

        var read = DecisionLog.Decode(block, bytes => new DecisionRecord { Seq = BitConverter.ToInt64(bytes.Span) });
        var parts = read.Encode(Serialize);

        Assert.Equal(0, _serialized);
        Assert.Equal(BitConverter.GetBytes(7L), parts.Single().ToArray());
    }

    private static ActionOutcome Succeeded => new() { Status = OutcomeStatus.Succeeded };

    private static byte[] Block(ReadOnlyMemory<byte>[] parts)
    {
        var block = new List<byte>();
        foreach (var part in parts)
        {
            block.AddRange(BitConverter.GetBytes(part.Length));
            block.AddRange(part.ToArray());
        }

        return [.. block];
    }
}
