using Mdl.Storage;

namespace Mdl.Bench.Baseline;

/// <summary>
/// The baseline with the one thing a durable loop cannot skip: the first hop writes its (tiny) state to the same grain
/// storage the goals use before calling the stateless worker. Not a target the issue sets; it shows how much of the gap to
/// the plain baseline is the write itself.
/// </summary>
internal sealed class BaselineDurableFrontGrain(
    [PersistentState("baseline", StorageNames.Goals)] IPersistentState<BaselineDurableState> state) : Grain, IBaselineDurableFrontGrain
{
    /// <inheritdoc />
    public async Task<int> CallAsync(int value)
    {
        state.State.Calls++;
        await state.WriteStateAsync();
        return await GrainFactory.GetGrain<IBaselineWorkerGrain>(0).WorkAsync(value);
    }
}

/// <summary>The durable baseline's state: a call counter.</summary>
[GenerateSerializer, Alias("bench.BaselineDurableState")]
public sealed class BaselineDurableState
{
    /// <summary>Calls so far.</summary>
    [Id(0)] public long Calls { get; set; }
}
