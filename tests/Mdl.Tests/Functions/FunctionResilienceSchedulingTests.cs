using Mdl.Functions;
using Microsoft.Extensions.Options;

namespace Mdl.Tests.Functions;

/// <summary>
/// Where a call's attempts start: on the caller's scheduler (a grain's, whose context a grain call must carry), even when
/// the attempt before completed elsewhere and the retry's delay ended on a timer's thread.
/// </summary>
public sealed class FunctionResilienceSchedulingTests
{
    private static readonly FunctionDescriptor Wobbly = new() { Name = "sched.wobbly", SideEffect = SideEffectClass.Idempotent };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_attempt_starts_on_the_callers_scheduler_and_the_caller_resumes_there(bool split)
    {
        var resilience = new FunctionResilience(
            Options.Create(new FunctionResilienceOptions { MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(5) }), TimeProvider.System);
        var grain = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        var attempts = new List<TaskScheduler>();

        async Task<FunctionResult> Attempt(CancellationToken ct)
        {
            lock (attempts)
            {
                attempts.Add(TaskScheduler.Current);
            }

            // Answered on another thread, as a grain call's response is: the pipeline goes on from there.
            await Task.Delay(5, ct).ConfigureAwait(false);
            return attempts.Count < 3 ? FunctionResult.Failure("not yet") : FunctionResult.Success(null);
        }

        var (result, resumedOn) = await Task.Factory.StartNew(
            async () =>
            {
                // As a goal calls it: the context rented, the first attempt and then the pipeline awaited (or the
                // pipeline in one), the context given back.
                var context = resilience.Rent(Wobbly, TimeSpan.FromSeconds(10));
                try
                {
                    var outcome = split && resilience.StartIfClosed(Wobbly, context, Attempt) is { } first
                        ? await PassOnAsync(resilience, context, first)
                        : await resilience.ExecuteOutcomeAsync(Wobbly, context, Attempt);
                    outcome.ThrowIfException();
                    return (outcome.Result!, TaskScheduler.Current);
                }
                finally
                {
                    FunctionResilience.Return(context);
                }
            },
            CancellationToken.None, TaskCreationOptions.DenyChildAttach, grain).Unwrap();

        Assert.True(result.Succeeded);
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, scheduler => Assert.Same(grain, scheduler));
        Assert.Same(grain, resumedOn);

        async Task<Polly.Outcome<FunctionResult>> PassOnAsync(FunctionResilience resilience, Polly.ResilienceContext context, Task<FunctionResult> first)
        {
            await ((Task)first).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
            return await resilience.PassAsync(Wobbly, context, Attempt, FunctionResilience.OutcomeOf(first));
        }
    }

    [Fact]
    public async Task An_attempt_already_on_the_scheduler_starts_at_once()
    {
        var ran = false;
        var task = FunctionResilience.OnScheduler(TaskScheduler.Current, _ =>
        {
            ran = true;
            return Task.FromResult(FunctionResult.Success(null));
        }, CancellationToken.None);

        Assert.True(ran); // synchronously: no queued turn for the first attempt
        Assert.True((await task).Succeeded);
    }
}
