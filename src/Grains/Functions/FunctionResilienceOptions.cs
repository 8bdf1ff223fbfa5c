namespace Mdl.Functions;

/// <summary>How function calls are retried and when a function's circuit opens.</summary>
public sealed class FunctionResilienceOptions
{
    /// <summary>Extra attempts for <c>read-only</c> and <c>idempotent</c> functions (never for <c>external</c> ones). Default 2.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The first retry's delay; later ones back off exponentially, with jitter. Default 50 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The share of failed calls in <see cref="SamplingDuration"/> that opens the circuit. Default 0.5.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>How many calls must be seen in <see cref="SamplingDuration"/> before the circuit may open. Default 5.</summary>
    public int MinimumThroughput { get; set; } = 5;

    /// <summary>The window over which failures are counted. Default 30 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before one probe is let through (half-open). Default 30 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
