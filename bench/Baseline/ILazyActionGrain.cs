using Mdl.Functions;

namespace Mdl.Bench.Baseline;

/// <summary>
/// The lazy backend's own action service: what a polling backend calls once it notices a change. Function grains accept
/// calls from goals only, so the backend has its own stateless worker that does what <c>bench.act</c> does.
/// </summary>
[Alias("bench.ILazyActionGrain")]
public interface ILazyActionGrain : IGrainWithIntegerKey
{
    /// <summary>Does the action (tells the harness it ran).</summary>
    [Alias("Act")]
    Task ActAsync(FunctionCall call);
}
