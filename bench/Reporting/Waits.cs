using Mdl.Bench.Functions;

namespace Mdl.Bench.Reporting;

/// <summary>Every wait of the harness is bounded: a loop that stops acting fails the run loudly instead of hanging it.</summary>
internal static class Waits
{
    /// <summary>How long one loop may take before the run is declared broken.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Step"/>.</summary>
    public static Task<T> Bounded<T>(Task<T> task, string what) => Bounded(task, what, subject: null);

    /// <summary>
    /// Awaits <paramref name="task"/> for at most <see cref="Step"/>; a timeout names it "<paramref name="what"/> of
    /// <paramref name="subject"/>". The name is made only then: a throughput loop that formatted it every time would count
    /// the harness's string as the loop's cost, which the baseline's constant name does not pay.
    /// </summary>
    public static async Task<T> Bounded<T>(Task<T> task, string what, string? subject)
    {
        try
        {
            return await task.WaitAsync(Step);
        }
        catch (TimeoutException)
        {
            var named = subject is null ? what : $"{what} of {subject}";
            throw new TimeoutException($"{named} did not happen within {Step.TotalSeconds:0} s (unexpected function runs so far: {BenchSignals.UnexpectedRuns}).");
        }
    }

    /// <summary>
    /// Waits, a second at a time and at most <paramref name="max"/>, until a second passes in which the JIT compiled
    /// fewer than <paramref name="quietMethodsPerSecond"/> methods: tier-up of what the traffic before made hot runs in
    /// the background for seconds after it, and a measurement taken meanwhile counts that compilation as its own.
    /// </summary>
    public static async Task JitQuiet(TimeSpan max, int quietMethodsPerSecond)
    {
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (waiting.Elapsed < max)
        {
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (System.Runtime.JitInfo.GetCompiledMethodCount() - before < quietMethodsPerSecond)
            {
                return;
            }
        }
    }

    /// <summary>Awaits the function run expected for <paramref name="key"/>, forgetting the wait if it times out.</summary>
    public static async Task<FunctionRun> Run(Task<FunctionRun> run, string key)
    {
        try
        {
            return await Bounded(run, $"the function run for '{key}'");
        }
        finally
        {
            if (!run.IsCompletedSuccessfully)
            {
                BenchSignals.Forget(key);
            }
        }
    }
}
