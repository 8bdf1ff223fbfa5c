using Mdl.Bench.Goals;
using Mdl.Functions;

namespace Mdl.Bench.Functions;

/// <summary>
/// <c>bench.act</c>: raises <c>bench.level</c> by one, costs nothing and does nothing but tell the harness it ran.
/// Registered with <c>AddMdlFunction</c> like any function, so goals reach it through the <c>FunctionWorkerGrain</c> stateless worker.
/// </summary>
internal sealed class BenchActFunction : IAgentFunction
{
    /// <summary>The function's name.</summary>
    public const string Name = "bench.act";

    private static readonly Task<FunctionResult> Done = Task.FromResult(FunctionResult.Success(null));

    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = Name,
        Description = "Benchmark function: raises bench.level by one and signals the harness.",
        Cost = 0,
        ExpectedLatencyMs = 0,
        Effects = new() { [BenchDefinitions.Metric] = 1 },
        SideEffect = SideEffectClass.Idempotent,
        Permission = "bench",
    };

    /// <inheritdoc />
    public Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        BenchSignals.OnRun(call);
        return Done;
    }
}
