namespace Mdl.Cli;

/// <summary>The exit codes of <c>mdl</c> (DESIGN §6).</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>Bad arguments, invalid JSON, or a goal definition refused as invalid.</summary>
    public const int Usage = 1;

    /// <summary>The goal does not exist, or the cluster refused the request.</summary>
    public const int NotFound = 2;

    /// <summary>The cluster could not be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>Interrupted (Ctrl+C) before the command finished.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure the CLI reports as one line on stderr with <see cref="ExitCode"/>.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>A usage error (exit 1).</summary>
    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    /// <summary>Goal <paramref name="goalId"/> was never defined (exit 2).</summary>
    public static CliException GoalNotFound(string goalId) => new(ExitCodes.NotFound, $"goal '{goalId}' not found");
}

/// <summary>No gateway of the cluster answered (exit 3).</summary>
internal sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
