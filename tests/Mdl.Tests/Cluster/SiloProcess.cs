using System.Diagnostics;
using System.Net;
using Mdl.Tests.Support;

namespace Mdl.Tests.Cluster;

/// <summary>
/// A real silo in its own process (<c>dotnet Mdl.Silo.dll</c>), on its own loopback ports, logging to a file: what a
/// deployment runs, so it can be killed with SIGKILL or stopped with SIGTERM like a pod.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly SiloBuild _build;
    private Process? _process;

    private SiloProcess(string name, string logDirectory, IReadOnlyDictionary<string, string> environment, SiloBuild build)
    {
        Name = name;
        _environment = environment;
        _build = build;
        LogPath = Path.Combine(logDirectory, name + ".log");
        SiloPort = FreePorts.Next();
        GatewayPort = FreePorts.Next();
        HttpPort = FreePorts.Next();
    }

    /// <summary>A name for messages and the log file.</summary>
    public string Name { get; }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; }

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; }

    /// <summary>HTTP port (API and health).</summary>
    public int HttpPort { get; }

    /// <summary>Where the process's output goes (appended across restarts).</summary>
    public string LogPath { get; }

    /// <summary>Whether the process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The silo's gateway as <c>host:port</c>.</summary>
    public string Gateway => $"127.0.0.1:{GatewayPort}";

    /// <summary>Starts a silo process of <paramref name="build"/> with <paramref name="environment"/> (its configuration) on fresh ports.</summary>
    public static SiloProcess Start(string name, string logDirectory, IReadOnlyDictionary<string, string> environment, SiloBuild build = SiloBuild.Product)
    {
        var silo = new SiloProcess(name, logDirectory, environment, build);
        silo.Start();
        return silo;
    }

    /// <summary>(Re)starts the process on the same ports.</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"silo {Name} is already running");
        }

        var assembly = _build == SiloBuild.Product
            ? BuiltAssembly(Path.Combine("src", "Silo"), "Mdl.Silo.dll")
            : BuiltAssembly(Path.Combine("tests", "Mdl.TestSilo"), "Mdl.TestSilo.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["Mdl__SiloPort"] = SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Mdl__GatewayPort"] = GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Mdl__HttpPort"] = HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        log.WriteLine($"==== {DateTimeOffset.UtcNow:O} starting {Name}: silo {SiloPort}, gateway {GatewayPort}, http {HttpPort}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) => Write(log, $"==== {DateTimeOffset.UtcNow:O} {Name} exited");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200; throws with the log's tail when the process exits or time runs out.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process is not { HasExited: false })
            {
                throw new InvalidOperationException($"silo {Name} exited while starting:{Environment.NewLine}{LogTail()}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"silo {Name} was not ready within {timeout.TotalSeconds:0} s:{Environment.NewLine}{LogTail()}");
    }

    /// <summary>SIGKILL: the process dies at once, mid-write, as on a node failure.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: false);
            process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod: the host shuts down gracefully; waits for the exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var signal = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"silo {Name} did not stop within {timeout.TotalSeconds:0} s of SIGTERM:{Environment.NewLine}{LogTail()}");
        }
    }

    /// <summary>The exit code of the last run, or null while running.</summary>
    public int? ExitCode => _process is { HasExited: true } process ? process.ExitCode : null;

    /// <summary>The last lines of the log, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A silo project's built assembly, from the same configuration as these tests.</summary>
    private static string BuiltAssembly(string project, string assemblyName)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mdl.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException($"cannot find Mdl.Orleans.sln above {AppContext.BaseDirectory}");
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Debug"
            : "Release";
        var assembly = Path.Combine(directory.FullName, project, "bin", configuration, "net10.0", assemblyName);
        return File.Exists(assembly)
            ? assembly
            : throw new InvalidOperationException($"the silo is not built at {assembly}; build the solution (dotnet build -c {configuration}) first");
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output after the test finished.
            }
        }
    }
}

/// <summary>Which silo program a <see cref="SiloProcess"/> runs.</summary>
public enum SiloBuild
{
    /// <summary><c>Mdl.Silo</c>, as deployed.</summary>
    Product,

    /// <summary><c>Mdl.TestSilo</c>: the same silo plus test functions and fault hooks.</summary>
    WithTestFunctions,
}
