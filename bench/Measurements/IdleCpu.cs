using System.Diagnostics;
using Mdl.Bench.Reporting;

namespace Mdl.Bench.Measurements;

/// <summary>The process's CPU use (percent of one core) over a wall interval with no traffic from the harness.</summary>
internal static class IdleCpu
{
    /// <summary>What one idle window measured.</summary>
    /// <param name="Percent">Process CPU time over wall time, in percent of one core.</param>
    /// <param name="JitMs">Of that CPU, time the JIT spent compiling (tier-up of methods the traffic before made hot).</param>
    /// <param name="MethodsCompiled">Methods the JIT compiled in the window.</param>
    /// <param name="SettledSeconds">How long the process was left to settle before the window.</param>
    public sealed record Figures(double Percent, double JitMs, long MethodsCompiled, double SettledSeconds);

    /// <summary>A second in which the JIT compiled fewer methods than this counts as quiet.</summary>
    private const int QuietJitMethodsPerSecond = 3;

    /// <summary>Two full blocking collections with the finalizers run between them: what the idle figures start from.</summary>
    public static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>
    /// Collects garbage (unless <paramref name="collect"/> is false), lets the silo settle for at least <paramref name="settle"/> and until the JIT is quiet (at most
    /// <paramref name="maxSettle"/>), then measures over <paramref name="window"/>. The traffic before leaves methods whose call counts have crossed the tier-up threshold
    /// (timer paths of 1,000 goals among them); the background JIT compiles them over the following seconds, hundreds of
    /// milliseconds of CPU that a silo pays once after start, not while idle. Waiting them out is the same rule the reaction
    /// measurement applies before its samples; the JIT time that still falls in the window is reported beside the figure.
    /// </summary>
    public static async Task<Figures> MeasureAsync(TimeSpan settle, TimeSpan maxSettle, TimeSpan window, bool collect = true)
    {
        if (collect)
        {
            CollectGarbage();
        }

        var settling = Stopwatch.StartNew();
        await Task.Delay(settle);
        await Waits.JitQuiet(maxSettle - settling.Elapsed, QuietJitMethodsPerSecond);
        var settled = settling.Elapsed;

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var jit0 = System.Runtime.JitInfo.GetCompilationTime();
        var methods0 = System.Runtime.JitInfo.GetCompiledMethodCount();
        var wall = Stopwatch.StartNew();
        await Task.Delay(window);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        var jit = System.Runtime.JitInfo.GetCompilationTime() - jit0;
        return new Figures(
            Percentiles.Round(100.0 * cpu.TotalMilliseconds / wall.Elapsed.TotalMilliseconds, 2),
            Percentiles.Round(jit.TotalMilliseconds, 1),
            System.Runtime.JitInfo.GetCompiledMethodCount() - methods0,
            Math.Round(settled.TotalSeconds, 1));
    }
}
