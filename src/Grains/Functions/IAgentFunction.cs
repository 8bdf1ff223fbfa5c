namespace Mdl.Functions;

/// <summary>
/// A function goals can call: plain code with a descriptor, hosted by a stateless worker grain per function name
/// (<see cref="FunctionWorkerGrain"/>). Register with <c>services.AddMdlFunction&lt;T&gt;()</c>.
/// </summary>
public interface IAgentFunction
{
    /// <summary>What the function is, costs and does: what Decide weighs.</summary>
    FunctionDescriptor Descriptor { get; }

    /// <summary>Does the work. Throwing counts as a failed outcome; so does returning a failure.</summary>
    Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken);
}
