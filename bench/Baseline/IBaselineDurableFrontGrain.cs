namespace Mdl.Bench.Baseline;

/// <summary>The durable baseline's first hop: writes its state, then calls the stateless worker.</summary>
[Alias("bench.IBaselineDurableFrontGrain")]
public interface IBaselineDurableFrontGrain : IGrainWithIntegerKey
{
    /// <summary>Writes state, calls the worker with <paramref name="value"/> and returns its answer.</summary>
    [Alias("Call")]
    Task<int> CallAsync(int value);
}
