using System.Collections.Concurrent;
using System.Diagnostics;
using Mdl.Functions;

namespace Mdl.Bench.Functions;

/// <summary>When the chosen function ran, and a task that completes when the goal has applied its outcome.</summary>
/// <param name="Timestamp">The <see cref="Stopwatch"/> timestamp at which the function ran.</param>
/// <param name="DecisionSeq">The decision that called it.</param>
/// <param name="OutcomeApplied">
/// Completes with the timestamp at which the goal had recorded the outcome and fed it back (<see cref="OutcomeListener"/>).
/// </param>
internal sealed record FunctionRun(long Timestamp, long DecisionSeq, Task<long> OutcomeApplied);

/// <summary>
/// The harness's view into the silo: it registers "tell me when the function runs for this goal (or idempotency key)"
/// and the benchmark function and storage complete those waits at the exact moment. Silo and client share one process,
/// so plain static state is enough.
/// </summary>
internal static class BenchSignals
{
    private static readonly ConcurrentDictionary<string, RunWaiter> Runs = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, OutcomeWaiter> Outcomes = new(StringComparer.Ordinal);
    private static long _unexpectedRuns;

    /// <summary>Function runs nobody waited for: a goal acting more than the harness asked it to.</summary>
    public static long UnexpectedRuns => Interlocked.Read(ref _unexpectedRuns);

    /// <summary>
    /// Waits for the next run of the benchmark function for <paramref name="key"/> (a goal id, or an idempotency key for
    /// calls made outside a goal). With <paramref name="trackOutcome"/>, the run also carries a task for the outcome being applied.
    /// </summary>
    public static Task<FunctionRun> ExpectRun(string key, bool trackOutcome = true)
    {
        var ran = new TaskCompletionSource<FunctionRun>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Runs.TryAdd(key, new RunWaiter(ran, trackOutcome, null)))
        {
            throw new InvalidOperationException($"The harness is already waiting for a run of '{key}'.");
        }

        return ran.Task;
    }

    /// <summary>
    /// Waits for the next run of the benchmark function for goal <paramref name="goalId"/> and for the goal to apply its
    /// outcome, as one task: what a throughput loop waits for. Completes once, when the outcome is applied, so the
    /// harness waits on one completion of its own, not two (a completion awaited is a work item on the thread pool,
    /// which a bare call does not pay). The run's moment is not kept; throughput counts loops, it does not time them.
    /// </summary>
    public static Task<long> ExpectLoop(string goalId)
    {
        var applied = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Runs.TryAdd(goalId, new RunWaiter(null, TrackOutcome: true, applied)))
        {
            throw new InvalidOperationException($"The harness is already waiting for a run of '{goalId}'.");
        }

        return applied.Task;
    }

    /// <summary>Stops waiting for <paramref name="key"/> (after a timeout): its run, and its outcome once it ran.</summary>
    public static void Forget(string key)
    {
        Runs.TryRemove(key, out _);
        Outcomes.TryRemove(key, out _);
    }

    /// <summary>Called by <see cref="BenchActFunction"/> as it runs.</summary>
    public static void OnRun(FunctionCall call)
    {
        var now = Stopwatch.GetTimestamp();
        if (!Runs.TryRemove(call.IdempotencyKey, out var waiter) && !Runs.TryRemove(call.GoalId, out waiter))
        {
            Interlocked.Increment(ref _unexpectedRuns);
            return;
        }

        if (waiter.Loop is { } loop)
        {
            // A throughput loop: nothing completes until the outcome is applied.
            Outcomes[call.GoalId] = new OutcomeWaiter(call.DecisionSeq, loop);
            return;
        }

        Task<long> outcome;
        if (waiter.TrackOutcome)
        {
            // Registered before the function returns, so the outcome cannot overtake it.
            var recorded = new OutcomeWaiter(call.DecisionSeq, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
            Outcomes[call.GoalId] = recorded;
            outcome = recorded.Source.Task;
        }
        else
        {
            outcome = Task.FromResult(now);
        }

        waiter.Source!.TrySetResult(new FunctionRun(now, call.DecisionSeq, outcome));
    }

    /// <summary>Called by <see cref="OutcomeListener"/> once a goal has applied the outcome of decision <paramref name="seq"/>.</summary>
    public static void OnOutcomeApplied(string goalId, long seq)
    {
        if (Outcomes.TryGetValue(goalId, out var waiter) && waiter.Seq == seq && Outcomes.TryRemove(new(goalId, waiter)))
        {
            waiter.Source.TrySetResult(Stopwatch.GetTimestamp());
        }
    }

    /// <summary>A wait for a run: <paramref name="Source"/> completes as it runs, or, for a throughput loop, <paramref name="Loop"/> once its outcome is applied.</summary>
    private sealed record RunWaiter(TaskCompletionSource<FunctionRun>? Source, bool TrackOutcome, TaskCompletionSource<long>? Loop);

    private sealed record OutcomeWaiter(long Seq, TaskCompletionSource<long> Source);
}
