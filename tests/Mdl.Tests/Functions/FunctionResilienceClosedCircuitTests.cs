using Mdl.Functions;
using Microsoft.Extensions.Options;
using Polly;

namespace Mdl.Tests.Functions;

/// <summary>
/// A call while the circuit is closed makes its first attempt at once and then hands the outcome to the pipeline: the
/// breaker must count it exactly as if it had made the attempt, and an attempt it can no longer refuse must not be
/// reported as refused.
/// </summary>
public sealed class FunctionResilienceClosedCircuitTests
{
    private static readonly FunctionDescriptor Once = new() { Name = "closed.once", SideEffect = SideEffectClass.External };

    private static FunctionResilience Resilience(int minimumThroughput, double failureRatio) => new(
        Options.Create(new FunctionResilienceOptions
        {
            MaxRetries = 0,
            MinimumThroughput = minimumThroughput,
            FailureRatio = failureRatio,
            SamplingDuration = TimeSpan.FromMinutes(1),
            BreakDuration = TimeSpan.FromMinutes(1),
        }),
        TimeProvider.System);

    private static async Task<Outcome<FunctionResult>> CallAsync(FunctionResilience resilience, Func<CancellationToken, Task<FunctionResult>> call)
    {
        var context = resilience.Rent(Once, TimeSpan.FromSeconds(10));
        try
        {
            return await resilience.ExecuteOutcomeAsync(Once, context, call);
        }
        finally
        {
            FunctionResilience.Return(context);
        }
    }

    private static Task<FunctionResult> Succeed(CancellationToken _) => Task.FromResult(FunctionResult.Success(null));

    private static Task<FunctionResult> Fail(CancellationToken _) => Task.FromResult(FunctionResult.Failure("down"));

    [Fact]
    public async Task Successes_made_before_the_breaker_sees_them_count_against_the_failure_ratio()
    {
        // Three successes and two failures: 40 %, under the 60 % that opens the circuit. Had the successes not been
        // counted, two failures out of two would have opened it.
        var resilience = Resilience(minimumThroughput: 2, failureRatio: 0.6);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await CallAsync(resilience, Succeed)).Result!.Succeeded);
        }

        for (var i = 0; i < 2; i++)
        {
            Assert.False((await CallAsync(resilience, Fail)).Result!.Succeeded);
        }

        Assert.Equal("closed", resilience.Circuit(Once.Name));

        // Three more failures take it to 5 of 8, over 60 %: the breaker saw the failures too.
        for (var i = 0; i < 3; i++)
        {
            await CallAsync(resilience, Fail);
        }

        Assert.Equal("open", resilience.Circuit(Once.Name));
        var refused = await CallAsync(resilience, Succeed);
        Assert.IsType<Polly.CircuitBreaker.BrokenCircuitException>(refused.Exception);
    }

    [Fact]
    public async Task A_call_already_made_when_the_circuit_opened_answers_with_what_it_did()
    {
        var resilience = Resilience(minimumThroughput: 2, failureRatio: 0.5);
        var slow = new TaskCompletionSource<FunctionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = CallAsync(resilience, _ => slow.Task);

        // While it is out, two failures open the circuit.
        await CallAsync(resilience, Fail);
        await CallAsync(resilience, Fail);
        Assert.Equal("open", resilience.Circuit(Once.Name));

        // The call acted: its result is the answer, not a refusal of a call that was never refused.
        slow.SetResult(FunctionResult.Success(null));
        var outcome = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(outcome.Exception);
        Assert.True(outcome.Result!.Succeeded);
    }

    [Fact]
    public async Task A_call_that_answered_just_before_its_deadline_is_not_reported_as_timed_out()
    {
        // The deadline passes after the answer came and before the pipeline judges it: the pipeline refuses to start on a
        // cancelled context, but the call was made and succeeded.
        var resilience = Resilience(minimumThroughput: 2, failureRatio: 0.5);
        using var deadline = new CancellationTokenSource();
        var context = ResilienceContextPool.Shared.Get(Once.Name, continueOnCapturedContext: false, deadline.Token);
        try
        {
            var outcome = await resilience.ExecuteOutcomeAsync(Once, context, _ =>
            {
                deadline.Cancel();
                return Task.FromResult(FunctionResult.Success(null));
            });

            Assert.Null(outcome.Exception);
            Assert.True(outcome.Result!.Succeeded);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [Fact]
    public async Task The_outcome_of_a_completed_attempt_is_what_awaiting_it_gives()
    {
        // A goal awaits its first attempt without throwing and reads the outcome: an answer, a failure or a cancellation
        // must reach the pipeline exactly as an awaited attempt's would.
        var answer = FunctionResult.Success(null);
        Assert.Same(answer, FunctionResilience.OutcomeOf(Task.FromResult(answer)).Result);

        var failed = Task.FromException<FunctionResult>(new InvalidOperationException("refused"));
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => failed);
        Assert.Same(thrown, FunctionResilience.OutcomeOf(failed).Exception);

        using var deadline = new CancellationTokenSource();
        await deadline.CancelAsync();
        var cancelled = Task.FromCanceled<FunctionResult>(deadline.Token);
        var stopped = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var read = Assert.IsAssignableFrom<OperationCanceledException>(FunctionResilience.OutcomeOf(cancelled).Exception);
        Assert.Equal(stopped.GetType(), read.GetType());
        Assert.Equal(deadline.Token, read.CancellationToken);
    }
}
