namespace Mdl.Functions;

/// <summary>What Decide may know of functions: their descriptors and live health. Implemented per silo.</summary>
public interface IFunctionDirectory
{
    /// <summary>Names of every function offered.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The descriptor of <paramref name="name"/>, or null when no such function is offered.</summary>
    FunctionDescriptor? Find(string name);

    /// <summary>Recent latency and circuit state of <paramref name="name"/>.</summary>
    FunctionHealth Health(string name);
}

/// <summary>A function's recent health as Decide sees it.</summary>
/// <param name="P95Ms">Observed p95 latency of recent calls, or null before any call.</param>
/// <param name="CircuitOpen">Whether calls are being refused.</param>
public readonly record struct FunctionHealth(double? P95Ms, bool CircuitOpen);
