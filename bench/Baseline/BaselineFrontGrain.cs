namespace Mdl.Bench.Baseline;

/// <summary>One grain per key, like a goal, forwarding to the shared stateless worker, like a goal calling a function.</summary>
internal sealed class BaselineFrontGrain : Grain, IBaselineFrontGrain
{
    /// <inheritdoc />
    public Task<int> CallAsync(int value) => GrainFactory.GetGrain<IBaselineWorkerGrain>(0).WorkAsync(value);
}
