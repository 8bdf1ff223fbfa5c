using Mdl.Observations;

namespace Mdl.Bench.Baseline;

/// <summary>
/// The loop's shape with no MDL logic: the goal's messages (two observations in, a receipt out; a function call with
/// arguments to a stateless worker and its result back) and one state write of the goal's size, and nothing else.
/// </summary>
[Alias("bench.IShapedFrontGrain")]
public interface IShapedFrontGrain : IGrainWithStringKey
{
    /// <summary>Writes the state, calls the worker once, and acknowledges <paramref name="observations"/>.</summary>
    [Alias("Observe")]
    Task<ObserveReceipt> ObserveAsync(Observation[] observations);
}
