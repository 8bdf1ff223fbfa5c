using Mdl.Functions;

namespace Mdl.Bench.Baseline;

/// <summary>The shaped chain's second hop: a stateless worker taking a function call, like a function grain.</summary>
[Alias("bench.IShapedWorkerGrain")]
public interface IShapedWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>Answers <paramref name="call"/> with a success and no output.</summary>
    [Alias("Invoke")]
    Task<FunctionResult> InvokeAsync(FunctionCall call);
}
