using Mdl.Decisions;
using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>What a decision log keeps between writes: a record's bytes once it has been written twice, and no more.</summary>
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

        // Records are immutable: gaining an outcome makes a new record, which has no bytes kept yet.
        log[0] = first with { Outcome = new ActionOutcome { Status = OutcomeStatus.Succeeded } };
        log.Encode(Serialize);
        log.Encode(Serialize);
        Assert.Equal(4, _serialized);

        // Removed (archived) and written again later, the same record starts over: its kept bytes went with it.
        var changed = log[0];
        log.RemoveAll(r => r.Seq == 1);
        log.Add(changed);
        log.Encode(Serialize);
        Assert.Equal(5, _serialized);
    }
}
