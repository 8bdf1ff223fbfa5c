using System.Diagnostics;
using Mdl.Bench.Reporting;

namespace Mdl.Bench.Measurements;

/// <summary>The process's CPU use (percent of one core) over a wall interval with no traffic from the harness.</summary>
internal static class IdleCpu
{
    /// <summary>Collects garbage, lets the silo settle for <paramref name="settle"/>, then measures over <paramref name="window"/>.</summary>
    public static async Task<double> MeasureAsync(TimeSpan settle, TimeSpan window)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        await Task.Delay(settle);

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.Delay(window);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        return Percentiles.Round(100.0 * cpu.TotalMilliseconds / wall.Elapsed.TotalMilliseconds, 2);
    }
}
