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
    /// <see cref="ExecuteOutcomeAsync"/> (or <see cref="StartIfClosed"/> and <see cref="PassAsync"/>); give it back with
    /// <see cref="Return"/> once the call has completed.
    /// </summary>
    public ResilienceContext Rent(FunctionDescriptor descriptor, TimeSpan timeout) =>
        ResilienceContextPool.Shared.Get(descriptor.Name, continueOnCapturedContext: false, _deadlines.After(timeout));

    /// <summary>Gives back a context from <see cref="Rent"/>.</summary>
    public static void Return(ResilienceContext context) => ResilienceContextPool.Shared.Return(context);

    private Entry EntryOf(FunctionDescriptor descriptor) =>
        _pipelines.GetOrAdd(descriptor.Name, static (_, known) => known.Self.Build(known.Descriptor), (Self: this, Descriptor: descriptor));

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
        var entry = EntryOf(descriptor);
        return StartIfClosed(entry, context, call) is { } first
            ? CallThenPassAsync(entry.Pipeline, context, call, first, TaskScheduler.Current)
            : entry.Pipeline.ExecuteOutcomeAsync(Attempt, context, (Call: call, Caller: TaskScheduler.Current));
    }

    /// <summary>
    /// While <paramref name="descriptor"/>'s circuit is closed, the usual case, makes the first attempt of a call at once,
    /// on the caller's scheduler and within <paramref name="context"/>'s deadline, and returns it; null otherwise, when
    /// the call must go through <see cref="ExecuteOutcomeAsync"/>. Its outcome, answer or exception, must then be handed
    /// to <see cref="PassAsync"/>, whose breaker counts it and whose retry judges it as if the pipeline had made the
    /// attempt itself. A goal awaits the attempt and then the pass in its own turn: a success passes through Polly's
    /// strategies without suspending, so the call costs the goal no asynchronous layer but its own.
    /// </summary>
    /// <remarks>
    /// A closed circuit lets every call through, so making the first attempt before the breaker sees it changes nothing
    /// but the moment it is counted. Should the circuit open while that attempt is out, the breaker refuses the outcome
    /// it is handed, and should the deadline pass between the answer and the pipeline, the pipeline refuses to start;
    /// the call was made all the same, so what it did is the answer (<see cref="PassAsync"/>).
    /// </remarks>
    public Task<FunctionResult>? StartIfClosed(
        FunctionDescriptor descriptor, ResilienceContext context, Func<CancellationToken, Task<FunctionResult>> call) =>
        StartIfClosed(EntryOf(descriptor), context, call);

    private static Task<FunctionResult>? StartIfClosed(
        Entry entry, ResilienceContext context, Func<CancellationToken, Task<FunctionResult>> call) =>
        entry.Circuit == CircuitState.Closed
            ? OnScheduler(TaskScheduler.Current, call, context.CancellationToken).WaitAsync(context.CancellationToken)
            : null;

    /// <summary>
    /// Hands the outcome <paramref name="made"/> of the attempt <see cref="StartIfClosed"/> made to
    /// <paramref name="descriptor"/>'s pipeline, and answers the pipeline's outcome; a retry makes its attempts through
    /// <paramref name="call"/>, starting them on the caller's scheduler. Should the pipeline hand the attempt back
    /// untaken (the circuit opened while it was out, or the deadline passed after its answer came), the attempt's own
    /// outcome is the answer.
    /// </summary>
    public ValueTask<Outcome<FunctionResult>> PassAsync(
        FunctionDescriptor descriptor, ResilienceContext context, Func<CancellationToken, Task<FunctionResult>> call, Outcome<FunctionResult> made) =>
        PassAsync(EntryOf(descriptor).Pipeline, context, call, made, TaskScheduler.Current);

    /// <summary>
    /// The outcome of <paramref name="completed"/>, an attempt that has completed: its answer, or the exception awaiting
    /// it would throw. A caller awaits the attempt without throwing (<see cref="ConfigureAwaitOptions.SuppressThrowing"/>)
    /// and reads it here, which costs no asynchronous layer of its own.
    /// </summary>
    public static Outcome<FunctionResult> OutcomeOf(Task<FunctionResult> completed)
    {
        try
        {
            return Outcome.FromResult(completed.GetAwaiter().GetResult());
        }
        catch (Exception exception)
        {
            return Outcome.FromException<FunctionResult>(exception);
        }
    }

    /// <summary>
    /// <see cref="StartIfClosed"/>'s attempt and then <see cref="PassAsync"/>, for a caller that awaits one task: the
    /// attempt's answer continues where it arrives, off the caller's scheduler, and a retry starts back on it.
    /// </summary>
    private static async ValueTask<Outcome<FunctionResult>> CallThenPassAsync(
        ResiliencePipeline<FunctionResult> pipeline, ResilienceContext context, Func<CancellationToken, Task<FunctionResult>> call,
        Task<FunctionResult> first, TaskScheduler caller)
    {
        await ((Task)first).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return await PassAsync(pipeline, context, call, OutcomeOf(first), caller).ConfigureAwait(false);
    }

    private static async ValueTask<Outcome<FunctionResult>> PassAsync(
        ResiliencePipeline<FunctionResult> pipeline, ResilienceContext context, Func<CancellationToken, Task<FunctionResult>> call,
        Outcome<FunctionResult> made, TaskScheduler caller)
    {
        var first = new MadeAttempt(made);
        var outcome = await pipeline.ExecuteOutcomeAsync(
            static (context, state) => state.First.Take() is { } earlier ? ValueTask.FromResult(earlier) : Attempt(context, (state.Call, state.Caller)),
            context,
            (First: first, Call: call, Caller: caller)).ConfigureAwait(false);
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
