using System.Text.Json;
using Mdl.Functions;
using Mdl.Observations;
using Mdl.Storage;

namespace Mdl.Bench.Baseline;

/// <summary>
/// What a loop costs Orleans with no MDL logic in it: the same messages as a loop (the two readings in, a receipt out, a
/// <see cref="FunctionCall"/> with the arguments a benchmark goal sends and a <see cref="FunctionResult"/> back), one
/// write of a state as large as a benchmark goal's, to the same storage, and grain references made as a loop's are. No
/// dedupe, metrics, decision, resilience, telemetry or outcome: the floor a loop cannot go below on this transport and
/// storage. Not a target the issue sets.
/// </summary>
internal sealed class ShapedFrontGrain(
    [PersistentState("shaped", StorageNames.Goals)] IPersistentState<ShapedState> state) : Grain, IShapedFrontGrain
{
    /// <summary>
    /// About a benchmark goal's stored state, in bytes (<c>details.loopGoalStateBytes</c>: 4,628 in an earlier session's
    /// full run, 4,648 and 4,659 in later ones).
    /// </summary>
    public const int StateBytes = 4_628;

    // What a benchmark goal's call carries (GoalEngine's arguments for bench.act), built once: building it is MDL logic.
    private static readonly JsonElement Arguments = JsonDocument.Parse(
        """{"goalId":"bench-0","decisionSeq":1,"metrics":{"bench.level":0},"trigger":{"id":"b1","kind":"bench.reading","data":{"value":0}}}""")
        .RootElement.Clone();

    private static readonly string[] Grants = ["bench"];

    private long _calls;

    // Made once, as a goal's reference to its function's worker is (FunctionGrains).
    private IShapedWorkerGrain? _worker;

    /// <inheritdoc />
    public async Task<ObserveReceipt> ObserveAsync(Observation[] observations)
    {
        var seq = ++_calls;
        if (state.State.Bytes.Length != StateBytes)
        {
            state.State.Bytes = new byte[StateBytes];
        }

        state.State.Bytes[0] = (byte)seq;
        await state.WriteStateAsync();
        var id = this.GetPrimaryKeyString();
        await (_worker ??= GrainFactory.GetGrain<IShapedWorkerGrain>(0)).InvokeAsync(new FunctionCall
        {
            Function = "bench.act",
            GoalId = id,
            IdempotencyKey = $"{id}/{seq}",
            DecisionSeq = seq,
            Arguments = Arguments,
            Grants = Grants,
        });
        return new ObserveReceipt(observations.Length, 0);
    }
}

/// <summary>The shaped chain's state: an opaque block as large as a benchmark goal's state.</summary>
[GenerateSerializer, Alias("bench.ShapedState")]
public sealed class ShapedState
{
    /// <summary>The block.</summary>
    [Id(0)] public byte[] Bytes { get; set; } = [];
}
