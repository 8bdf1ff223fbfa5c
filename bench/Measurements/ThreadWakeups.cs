using System.Globalization;

namespace Mdl.Bench.Measurements;

/// <summary>
/// Voluntary context switches (a thread blocking, then being woken) per thread kind, from <c>/proc/self/task</c>: how
/// many times threads of this process went to sleep and were woken over an interval; and the process's minor page
/// faults. Linux only; empty (or null) elsewhere.
/// </summary>
internal static class ThreadWakeups
{
    /// <summary>Voluntary context switches so far, summed per thread name with digits dropped (".NET TP Worker", ".NET Timer"…).</summary>
    public static Dictionary<string, long> Snapshot()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!Directory.Exists("/proc/self/task"))
        {
            return counts;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var name = new string(File.ReadAllText(Path.Combine(task, "comm")).Trim().Where(c => !char.IsDigit(c)).ToArray()).Trim();
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        counts[name] = counts.GetValueOrDefault(name) + long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }

        return counts;
    }

    /// <summary>The process's minor page faults so far (<c>/proc/self/stat</c>, field 10); null where there is no such file.</summary>
    public static long? MinorFaults()
    {
        try
        {
            // Fields after the command name, which is in parentheses and may hold spaces: state is the first, minflt the eighth.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>What each thread kind added between <paramref name="before"/> and <paramref name="after"/>, divided by <paramref name="per"/>.</summary>
    public static Dictionary<string, double> Per(Dictionary<string, long> before, Dictionary<string, long> after, double per) =>
        after.Select(kv => (kv.Key, Delta: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(x => x.Delta > 0)
            .OrderByDescending(x => x.Delta)
            .ToDictionary(x => x.Key, x => Math.Round(x.Delta / per, 2), StringComparer.Ordinal);
}
