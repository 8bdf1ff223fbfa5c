using Mdl.Bench.Functions;

namespace Mdl.Bench.Reporting;

/// <summary>Every wait of the harness is bounded: a loop that stops acting fails the run loudly instead of hanging it.</summary>
internal static class Waits
{
    /// <summary>How long one loop may take before the run is declared broken.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Step"/>.</summary>
    public static async Task<T> Bounded<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Step);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what} did not happen within {Step.TotalSeconds:0} s (unexpected function runs so far: {BenchSignals.UnexpectedRuns}).");
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
