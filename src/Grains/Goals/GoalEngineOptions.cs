namespace Mdl.Goals;

/// <summary>Bounds of what a goal keeps in state.</summary>
public sealed class GoalEngineOptions
{
    /// <summary>How many recent observation ids are remembered for dedupe. Default 512.</summary>
    public int DedupeWindow { get; set; } = 512;

    /// <summary>
    /// How many recent decisions a goal's history keeps (the audit log keeps them all). Default 50, the decisions
    /// endpoint's default page. The history is stored apart from the state written on every change, and written lazily.
    /// </summary>
    public int DecisionHistory { get; set; } = 50;

    /// <summary>
    /// How long decisions may wait in the goal's state before they are moved to its history. Default 2 s. They are
    /// durable either way; a longer delay writes the history less often, a shorter one keeps the state smaller.
    /// </summary>
    public TimeSpan HistoryWriteDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many decisions may wait in the goal's state before the history is written at once. Default 16.</summary>
    public int HistoryWriteBatch { get; set; } = 16;

    /// <summary>
    /// How long an outcome that starts no new action may wait before it is written, if no other change writes it first.
    /// Default 1 s. Until written, a crash only means the call is re-issued with its idempotency key (exactly-once
    /// effects rely on the result the worker recorded in the goal before answering, not on this write); observations are
    /// still acknowledged only once durable.
    /// </summary>
    public TimeSpan OutcomeWriteDelay { get; set; } = TimeSpan.FromSeconds(1);

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
