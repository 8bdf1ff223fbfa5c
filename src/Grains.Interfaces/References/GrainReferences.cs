namespace Mdl;

/// <summary>
/// References to the grains of one string-keyed interface. Orleans's <c>GetGrain</c> finds the interface's type and the
/// grain type behind it from attributes and names, by reflection, on every call: about a sixth of the CPU of a bare
/// client → grain → worker chain. This finds them once, from the first reference made, and afterwards only makes the
/// reference.
/// </summary>
/// <remarks>
/// Safe to share between threads. The first reference is made lazily, not in the constructor, because a client learns
/// which grain type implements an interface from the cluster only once it has connected.
/// </remarks>
public sealed class GrainReferences<TGrain>(IGrainFactory grains)
    where TGrain : IGrainWithStringKey
{
    // Set once, as a whole: a reader sees either nothing (and resolves, which is harmless twice) or both types.
    private Types? _types;

    /// <summary>The grain keyed <paramref name="key"/>; the same reference <c>GetGrain&lt;TGrain&gt;(key)</c> makes.</summary>
    public TGrain For(string key)
    {
        if (_types is not { } types)
        {
            var first = grains.GetGrain<TGrain>(key);
            var reference = (GrainReference)(object)first;
            _types = new Types(reference.GrainId.Type, reference.InterfaceType);
            return first;
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return (TGrain)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
    }

    private sealed record Types(GrainType Grain, GrainInterfaceType Interface);
}
