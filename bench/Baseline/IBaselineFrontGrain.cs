namespace Mdl.Bench.Baseline;

/// <summary>The baseline's first hop: a plain grain a client calls, which calls a stateless worker. No MDL logic, no state.</summary>
[Alias("bench.IBaselineFrontGrain")]
public interface IBaselineFrontGrain : IGrainWithIntegerKey
{
    /// <summary>Calls the worker with <paramref name="value"/> and returns its answer.</summary>
    [Alias("Call")]
    Task<int> CallAsync(int value);
}
