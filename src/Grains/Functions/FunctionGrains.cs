using System.Collections.Concurrent;

namespace Mdl.Functions;

/// <summary>
/// This silo's references to each function's worker and stats grain. Orleans resolves a grain interface's type from its
/// attributes, by reflection, on every <c>GetGrain</c>; a goal calls both grains on every loop, and a reference is
/// immutable and safe to share, so each is made once.
/// </summary>
public sealed class FunctionGrains(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, IFunctionGrain> _workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IFunctionStatsGrain> _stats = new(StringComparer.Ordinal);

    /// <summary>The stateless worker that runs <paramref name="function"/>.</summary>
    public IFunctionGrain Worker(string function) =>
        _workers.GetOrAdd(function, static (name, factory) => factory.GetGrain<IFunctionGrain>(name), grains);

    /// <summary>The cluster-wide statistics of <paramref name="function"/>.</summary>
    public IFunctionStatsGrain Stats(string function) =>
        _stats.GetOrAdd(function, static (name, factory) => factory.GetGrain<IFunctionStatsGrain>(name), grains);
}
