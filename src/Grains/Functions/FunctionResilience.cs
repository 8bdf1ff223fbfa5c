using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Mdl.Functions;

/// <summary>
/// One Polly pipeline per function on this silo: a circuit breaker for every function, and retries with backoff for
/// <c>read-only</c> and <c>idempotent</c> ones only (an <c>external</c> call might have acted before failing).
/// Decide reads the circuit through <see cref="IsOpen"/>, so a function whose circuit is open is not chosen.
/// </summary>
public sealed class FunctionResilience(IOptions<FunctionResilienceOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _pipelines = new(StringComparer.Ordinal);
    private readonly CallDeadlines _deadlines = new(time);

    /// <summary>
    /// A context for one call of <paramref name="descriptor"/> within <paramref name="timeout"/>, for
    /// <see cref="ExecuteOutcomeAsync"/>; give it back with <see cref="Return"/> once that has completed.
    /// </summary>
    public ResilienceContext Rent(FunctionDescriptor descriptor, TimeSpan timeout) =>
        ResilienceContextPool.Shared.Get(descriptor.Name, continueOnCapturedContext: false, _deadlines.After(timeout));

    /// <summary>Gives back a context from <see cref="Rent"/>.</summary>
    public static void Return(ResilienceContext context) => ResilienceContextPool.Shared.Return(context);

    /// <summary>
    /// Calls <paramref name="call"/> for <paramref name="descriptor"/> through its pipeline, within the timeout
    /// <paramref name="context"/> was rented for (all attempts together, cancelled up to <see cref="CallDeadlines.Slot"/>
    /// after it), and answers Polly's outcome. Every attempt starts on the caller's scheduler (a grain's), so a grain call
    /// it makes carries the calling grain's context; the pipeline's own steps between attempts run wherever the attempt
    /// completed, and the caller's await brings it back.
    /// </summary>
    /// <remarks>
    /// On a grain's scheduler every step of the pipeline (the retry's, the breaker's and the outcome's) would resume as a
    /// turn of its own, each queued and allocated: more of a loop's work than the pipeline itself. Off it, they run inline
    /// where the call's answer arrives, and the calling grain resumes once. A goal awaits what this returns itself, so the
    /// answer resumes the goal's turn directly rather than through one more task; while the circuit is closed, the one
    /// asynchronous layer under it is <see cref="CallThenPassAsync"/>, which stands in for the pipeline's own.
    /// </remarks>
    public ValueTask<Outcome<FunctionResult>> ExecuteOutcomeAsync(
        FunctionDescriptor descriptor, ResilienceContext context, Func<CancellationToken, Task<FunctionResult>> call)
    {
        var entry = _pipelines.GetOrAdd(descriptor.Name, static (_, known) => known.Self.Build(known.Descriptor), (Self: this, Descriptor: descriptor));
        return entry.Circuit == CircuitState.Closed
            ? CallThenPassAsync(entry.Pipeline, context, call, TaskScheduler.Current)
            : entry.Pipeline.ExecuteOutcomeAsync(Attempt, context, (Call: call, Caller: TaskScheduler.Current));
    }

    /// <summary>
    /// A call while the circuit is closed, the usual case: the first attempt is made at once, and its outcome then passes
    /// through the pipeline, whose breaker counts it and whose retry judges it as if the pipeline had made the attempt
    /// itself; a retry makes its attempts through <see cref="Attempt"/>. Polly's strategies suspend only when their
    /// attempt does, so a first attempt that succeeded passes through them at once: the call costs one asynchronous
    /// layer, this one, instead of one per strategy and one per attempt.
    /// </summary>
    /// <remarks>
    /// A closed circuit lets every call through, so making the first attempt before the breaker sees it changes nothing
    /// but the moment it is counted. Should the circuit open while that attempt is out, the breaker refuses the outcome
    /// it is handed, and should the deadline pass between the answer and the pipeline, the pipeline refuses to start;
    /// the call was made all the same, so what it did is the answer.
    /// </remarks>
    private static async ValueTask<Outcome<FunctionResult>> CallThenPassAsync(
        ResiliencePipeline<FunctionResult> pipeline, ResilienceContext context, Func<CancellationToken, Task<FunctionResult>> call, TaskScheduler caller)
    {
        // Attempt's body, written out rather than awaited: awaiting Attempt would put its own state machine under this
        // one, the layer this path exists to save.
        Outcome<FunctionResult> made;
        try
        {
            var result = await OnScheduler(caller, call, context.CancellationToken)
                .WaitAsync(context.CancellationToken).ConfigureAwait(false);
            made = Outcome.FromResult(result);
        }
        catch (Exception exception)
        {
            made = Outcome.FromException<FunctionResult>(exception);
        }

        var first = new MadeAttempt(made);
        var outcome = await pipeline.ExecuteOutcomeAsync(
            static (context, state) => state.First.Take() is { } earlier ? ValueTask.FromResult(earlier) : Attempt(context, (state.Call, state.Caller)),
            context,
            (First: first, Call: call, Caller: caller)).ConfigureAwait(false);
        // Handed back untaken, the attempt was never judged: the circuit opened while it was out, or the deadline passed
        // after its answer came. Either way the call was made, and what it did is the answer.
        return first.Taken ? outcome : made;
    }

    /// <summary>
    /// One attempt, its answer or exception as Polly's outcome, which is what the pipeline's strategies read. The pipeline's
    /// own <c>ExecuteAsync</c> would wrap each attempt the same way, inside one more asynchronous layer of its own per call.
    /// </summary>
    private static async ValueTask<Outcome<FunctionResult>> Attempt(
        ResilienceContext context, (Func<CancellationToken, Task<FunctionResult>> Call, TaskScheduler Caller) state)
    {
        try
        {
            var result = await OnScheduler(state.Caller, state.Call, context.CancellationToken)
                .WaitAsync(context.CancellationToken).ConfigureAwait(false);
            return Outcome.FromResult(result);
        }
        catch (Exception exception)
        {
            return Outcome.FromException<FunctionResult>(exception);
        }
    }

    /// <summary>
    /// Starts <paramref name="call"/> on <paramref name="scheduler"/>: at once when already there (the first attempt),
    /// else queued to it (a retry, which continues on the thread its delay ended on).
    /// </summary>
    internal static Task<FunctionResult> OnScheduler(
        TaskScheduler scheduler, Func<CancellationToken, Task<FunctionResult>> call, CancellationToken cancellationToken) =>
        TaskScheduler.Current == scheduler
            ? call(cancellationToken)
            : Task.Factory.StartNew(() => call(cancellationToken), CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap();

    /// <summary>
    /// The circuit state of <paramref name="function"/>: <c>closed</c>, <c>open</c>, <c>half-open</c> or <c>isolated</c>.
    /// An open circuit whose break is over reads as half-open: Polly moves it there on the next call, the probe.
    /// </summary>
    public string Circuit(string function)
    {
        if (!_pipelines.TryGetValue(function, out var entry))
        {
            return "closed";
        }

        // The state the breaker's callbacks last reported: Polly's own getter takes the breaker's lock, and Decide reads
        // this for every candidate of every decision.
        return entry.Circuit switch
        {
            CircuitState.Open when time.GetUtcNow().UtcTicks >= entry.OpenUntilTicks => "half-open",
            CircuitState.Open => "open",
            CircuitState.HalfOpen => "half-open",
            CircuitState.Isolated => "isolated",
            _ => "closed",
        };
    }

    /// <summary>Whether calls to <paramref name="function"/> are being refused right now (half-open lets a probe through).</summary>
    public bool IsOpen(string function) => Circuit(function) is "open" or "isolated";

    private Entry Build(FunctionDescriptor descriptor)
    {
        var settings = options.Value;
        var entry = new Entry(new CircuitBreakerStateProvider());
        var builder = new ResiliencePipelineBuilder<FunctionResult> { TimeProvider = time };
        if (SideEffectClass.IsRepeatSafe(descriptor.SideEffect) && settings.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<FunctionResult>
            {
                MaxRetryAttempts = settings.MaxRetries,
                Delay = settings.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: BrokenCircuitException or OperationCanceledException } => false,
                    { Exception: not null } => true,
                    { Result.Succeeded: false } => true,
                    _ => false,
                }),
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<FunctionResult>
        {
            FailureRatio = settings.FailureRatio,
            MinimumThroughput = settings.MinimumThroughput,
            SamplingDuration = settings.SamplingDuration,
            BreakDuration = settings.BreakDuration,
            StateProvider = entry.State,
            OnOpened = args =>
            {
                entry.OpenUntilTicks = (time.GetUtcNow() + args.BreakDuration).UtcTicks;
                entry.Circuit = args.IsManual ? CircuitState.Isolated : CircuitState.Open;
                return ValueTask.CompletedTask;
            },
            OnHalfOpened = _ =>
            {
                entry.Circuit = CircuitState.HalfOpen;
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                entry.Circuit = CircuitState.Closed;
                return ValueTask.CompletedTask;
            },
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null || args.Outcome.Result is { Succeeded: false }),
        });

        entry.Pipeline = builder.Build();
        return entry;
    }

    /// <summary>The outcome of an attempt made before the pipeline ran, handed to the pipeline's first attempt only.</summary>
    private sealed class MadeAttempt(Outcome<FunctionResult> outcome)
    {
        /// <summary>Whether the pipeline has taken it.</summary>
        public bool Taken { get; private set; }

        /// <summary>The outcome the first time; null afterwards, when a retry must call again.</summary>
        public Outcome<FunctionResult>? Take()
        {
            if (Taken)
            {
                return null;
            }

            Taken = true;
            return outcome;
        }
    }

    private sealed class Entry(CircuitBreakerStateProvider state)
    {
        public CircuitBreakerStateProvider State { get; } = state;

        public ResiliencePipeline<FunctionResult> Pipeline { get; set; } = ResiliencePipeline<FunctionResult>.Empty;

        private long _openUntilTicks;
        private int _circuit = (int)CircuitState.Closed;

        /// <summary>The circuit's state as its callbacks last reported it; read by Decide on any thread without Polly's lock.</summary>
        public CircuitState Circuit
        {
            get => (CircuitState)Volatile.Read(ref _circuit);
            set => Volatile.Write(ref _circuit, (int)value);
        }

        /// <summary>When the current break ends (UTC ticks); written by Polly's OnOpened callback, read by Decide on any thread.</summary>
        public long OpenUntilTicks
        {
            get => Volatile.Read(ref _openUntilTicks);
            set => Volatile.Write(ref _openUntilTicks, value);
        }
    }
}
