using System.CommandLine;

namespace Mdl.Cli;

/// <summary>The <c>mdl</c> command line, runnable in-process: parse, connect, run, and map failures to exit codes.</summary>
public static class CliApp
{
    /// <summary>Runs <c>mdl</c> with <paramref name="args"/>, writing results to <paramref name="stdout"/> and errors to <paramref name="stderr"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default) =>
        RunAsync(args, Console.In, stdout, stderr, ct);

    /// <summary>As <see cref="RunAsync(string[], TextWriter, TextWriter, CancellationToken)"/>, reading <c>--file -</c> from <paramref name="stdin"/>.</summary>
    internal static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        var global = new GlobalOptions(stdin);
        var root = Create(global);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, with where to look: not the whole help text.
            stderr.WriteLine($"{string.Join("; ", parse.Errors.Select(e => CliSession.OneLine(e.Message)))} (see 'mdl --help')");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,

            // Failures are mapped to exit codes by CliSession; Ctrl+C arrives through ct (Program.cs), not a handler of the library.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(invocation, ct);
    }

    private static RootCommand Create(GlobalOptions global)
    {
        var root = new RootCommand("mdl: define goals, feed them observations and watch them decide, on an Mdl.Orleans cluster.")
        {
            GoalCommands.Create(global),
            ObservationCommands.Observe(global),
            ObservationCommands.Publish(global),
            DecisionCommands.Decisions(global),
            DecisionCommands.Watch(global),
            FunctionCommands.Create(global),
            ScenarioCommand.Create(global),
            AuditCommands.Create(global),
        };
        global.AddTo(root);
        return root;
    }
}
