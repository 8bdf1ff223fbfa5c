using System.Runtime.CompilerServices;
using Mdl.Decisions;
using Mdl.Goals;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

using static Mdl.Tests.Goals.SampleDecisions;

namespace Mdl.Tests.Goals;

/// <summary>
/// Settled decisions a completed state write covered are parked in the goal's state as bytes: the state's stored bytes do
/// not change, every view still sees them, they move to the history as bytes, and no record object of them stays.
/// </summary>
public sealed class DecisionLogParkingTests
{
    private static readonly Serializer Serializer = ProductSerializer.Serializer;

    private static readonly DeepCopier Copier = ProductSerializer.Services.GetRequiredService<DeepCopier>();

    [Fact]
    public void Only_settled_records_a_write_covered_are_parked_from_the_front()
    {
        var (state, written) = Written(Decision(1, outcome: true), Decision(2, outcome: true), Decision(3), Decision(4, outcome: true));

        var left = state.Decisions.Park(written);

        // 3 waits for its outcome, so it and everything after it stay records.
        Assert.Equal([1L, 2L], state.Decisions.Parked.Select(p => p.Seq));
        Assert.Equal([3L, 4L], state.Decisions.Select(d => d.Seq));
        Assert.Equal([3L, 4L], left.Select(d => d.Seq));
        Assert.Equal(4, state.Decisions.Held);
    }

    [Fact]
    public void A_record_the_write_did_not_cover_is_not_parked()
    {
        var (state, written) = Written(Decision(1, outcome: true));
        state.Decisions[0] = Decision(1, outcome: true); // the same decision, a record the write did not carry

        Assert.Same(written, state.Decisions.Park(written));
        Assert.Empty(state.Decisions.Parked);
    }

    [Fact]
    public void Parking_leaves_the_stored_bytes_and_every_view_as_they_were()
    {
        var (state, written) = Written(Decision(1, outcome: true), Decision(2, outcome: true), Decision(3));
        var before = Serializer.SerializeToArray(state);
        var all = state.Decisions.All().Select(AsJson).ToArray();

        state.Decisions.Park(written);

        Assert.Equal(before, Serializer.SerializeToArray(state));
        Assert.Equal(all, state.Decisions.All().Select(AsJson));
        Assert.Equal("gap 2", state.Decisions.Find(2)!.Reason);
        Assert.Equal(3, state.Decisions.NewestSeq);
        var read = Serializer.Deserialize<GoalState>(before)!;
        Assert.Equal(all, read.Decisions.All().Select(AsJson));

        // All parked: the newest is decoded from its bytes, and a copy keeps them.
        var (settled, covered) = Written(Decision(1, outcome: true));
        settled.Decisions.Park(covered);
        Assert.Equal((1L, "gap 1"), (settled.Decisions.NewestSeq, settled.Decisions.Newest()!.Reason));
        Assert.Equal(1, Copier.Copy(settled).Decisions.Held);
    }

    [Fact]
    public void Parked_decisions_move_to_the_history_as_bytes_and_leave_the_state_once_it_is_written()
    {
        var (state, written) = Written(Decision(1, outcome: true), Decision(2, outcome: true), Decision(3));
        var left = state.Decisions.Park(written);
        var parkedBytes = state.Decisions.Parked[0].Bytes;

        // The history held decision 2 before its outcome came back: the outcome lands on the record it holds.
        var history = Serializer.Deserialize<DecisionHistoryState>(Serializer.SerializeToArray(new DecisionHistoryState { Decisions = [Decision(2) with { Reason = "archived early" }] }))!;
        var batch = new ArchiveBatch([.. state.Decisions.Where(d => left.Contains(d))], state.Decisions.Parked.Count);
        history.Decisions.Merge(batch, state.Decisions, 50);
        state.Decisions.Unpark(batch.Parked);
        state.Decisions.RemoveAll(d => batch.Records.Contains(d));

        Assert.Equal([1L, 2L, 3L], history.Decisions.Select(d => d.Seq));
        Assert.Equal(("archived early", OutcomeStatus.Succeeded), (history.Decisions.Find(2)!.Reason, history.Decisions.Find(2)!.Outcome!.Status));
        Assert.Equal(0, state.Decisions.Held);

        // Decision 1 moved as the state's bytes: the history writes exactly them.
        var written1 = Serializer.SerializeToArray(history);
        Assert.True(written1.AsSpan().IndexOf(parkedBytes.Span) >= 0, "the history's block holds the parked bytes as they were");
    }

    [Fact]
    public void A_parked_decision_holds_no_record_object()
    {
        var (state, record) = ParkedOne();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(record.TryGetTarget(out _), "the state still holds the record it parked");
        Assert.Equal("gap 1", state.Decisions.Find(1)!.Reason);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (GoalState State, WeakReference<DecisionRecord> Record) ParkedOne()
    {
        var (state, written) = Written(Decision(1, outcome: true));
        state.Decisions.Park(written);
        return (state, new WeakReference<DecisionRecord>(written[0]));
    }

    /// <summary>A goal state holding <paramref name="records"/>, written once (as a state write does), with what it carried.</summary>
    private static (GoalState State, DecisionRecord[] Written) Written(params DecisionRecord[] records)
    {
        var state = new GoalState { Decisions = new DecisionLog(records) };
        Serializer.SerializeToArray(state);
        return (state, records);
    }
}
