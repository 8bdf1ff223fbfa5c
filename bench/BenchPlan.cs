namespace Mdl.Bench;

/// <summary>How much of everything a run does. Every loop of the harness is bounded by these counts and durations.</summary>
internal sealed record BenchPlan
{
    /// <summary>Goals defined and kept active for the latency, idle and throughput figures.</summary>
    public int ActiveGoals { get; init; } = 1_000;

    /// <summary>Direct-call samples (round-robin over the active goals), after one warm-up sample per goal.</summary>
    public int DirectSamples { get; init; } = 20_000;

    /// <summary>Stream samples (round-robin), after one warm-up publish per goal.</summary>
    public int StreamSamples { get; init; } = 400;

    /// <summary>How long the silo is left alone before the idle CPU is measured, at least.</summary>
    public TimeSpan IdleSettle { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long the settle may wait, at most, for the JIT to finish tiering up what the traffic before made hot.</summary>
    public TimeSpan IdleMaxSettle { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the idle CPU is measured over.</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the idle CPU of the silo before any goal exists is measured over (a reference for the figure above);
    /// zero skips it.
    /// </summary>
    public TimeSpan IdleNoGoalsWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Outstanding loops (and baseline calls) during the throughput figures.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Warm-up before each throughput window.</summary>
    public TimeSpan ThroughputWarmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest each throughput warm-up goes on, past <see cref="ThroughputWarmup"/>, until the JIT is quiet.</summary>
    public TimeSpan ThroughputMaxJitSettle { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Each throughput window.</summary>
    public TimeSpan ThroughputWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Baseline/loop pairs, alternated so drift on a shared machine hits both.</summary>
    public int ThroughputRounds { get; init; } = 2;

    /// <summary>Loops per round of the engine alone (<see cref="Measurements.EngineAlone"/>), after one round of warm-up.</summary>
    public int EngineLoopsPerRound { get; init; } = 200_000;

    /// <summary>Measured rounds of the engine alone; the fastest is reported.</summary>
    public int EngineRounds { get; init; } = 5;

    /// <summary>Whether each throughput round also measures the durable baseline (a state write in the first hop).</summary>
    public bool DurableBaseline { get; init; } = true;

    /// <summary>
    /// Whether each throughput round also measures the shaped chain: the loop's messages and state write with no MDL
    /// logic, the floor of a loop on this transport and storage.
    /// </summary>
    public bool ShapedBaseline { get; init; } = true;

    /// <summary>Changes the lazy backend and the push loop each react to in one round.</summary>
    public int ReactionChanges { get; init; } = 20;

    /// <summary>Rounds of push then polling changes, alternated so drift on a shared machine hits both.</summary>
    public int ReactionRounds { get; init; } = 3;

    /// <summary>The most the reaction figure's warm-up may take (it stops earlier once the JIT has settled).</summary>
    public TimeSpan ReactionWarmupBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Goals with the user #55 definition activated for the memory figure.</summary>
    public int MemoryGoals { get; init; } = 100_000;

    /// <summary>How long activating the memory figure's goals may take before the run gives up.</summary>
    public TimeSpan MemoryBudget { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>The time budget of each sampling loop: it stops early, with fewer samples, rather than overrun.</summary>
    public TimeSpan SamplingBudget { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The full run: a few minutes.</summary>
    public static BenchPlan Full { get; } = new();

    /// <summary><c>--quick</c>: under a minute, fewer samples and goals.</summary>
    public static BenchPlan Quick { get; } = new()
    {
        DirectSamples = 3_000,
        StreamSamples = 40,
        IdleSettle = TimeSpan.FromSeconds(2),
        IdleMaxSettle = TimeSpan.FromSeconds(4),
        IdleWindow = TimeSpan.FromSeconds(5),
        IdleNoGoalsWindow = TimeSpan.Zero,
        ThroughputWarmup = TimeSpan.FromSeconds(1),
        ThroughputMaxJitSettle = TimeSpan.FromSeconds(2),
        ThroughputWindow = TimeSpan.FromSeconds(3),
        ThroughputRounds = 1,
        EngineLoopsPerRound = 50_000,
        EngineRounds = 2,
        DurableBaseline = false,
        ShapedBaseline = false,
        ReactionChanges = 6,
        ReactionRounds = 1,
        ReactionWarmupBudget = TimeSpan.FromSeconds(3),
        MemoryGoals = 500,
        MemoryBudget = TimeSpan.FromSeconds(8),
        SamplingBudget = TimeSpan.FromSeconds(5),
    };
}
