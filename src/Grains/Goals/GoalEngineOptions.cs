namespace Mdl.Goals;

/// <summary>Bounds of what a goal keeps in state.</summary>
public sealed class GoalEngineOptions
{
    /// <summary>How many recent observation ids are remembered for dedupe. Default 512.</summary>
    public int DedupeWindow { get; set; } = 512;

    /// <summary>How many recent decisions are kept in the goal's state (the audit log keeps them all). Default 50, the decisions endpoint's default page; each is rewritten with every state write, so more costs throughput.</summary>
    public int DecisionHistory { get; set; } = 50;

    /// <summary>How long an action's expected effect stays pending when the definition gives no horizon. Default 10 minutes.</summary>
    public TimeSpan DefaultEffectHorizon { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How fast learnt effect corrections follow new outcomes, in (0, 1]. Default 0.3.</summary>
    public double CorrectionLearningRate { get; set; } = 0.3;

    /// <summary>
    /// How fast a failed call pulls the function's corrections toward zero, in (0, 1]. Default 0.6: faster than
    /// success learning, so a failing function is given up after a few tries rather than retried in a tight loop.
    /// </summary>
    public double FailureLearningRate { get; set; } = 0.6;
}
