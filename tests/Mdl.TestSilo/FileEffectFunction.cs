using Mdl.Functions;

namespace Mdl.TestSilo;

/// <summary>
/// <c>test.file-effect</c>: an external effect that outlives the process — each call appends its idempotency key to the
/// file named by <c>MDL_TEST_EFFECTS_FILE</c> (followed by <c> reissued</c> when the goal re-issued the call), so a test
/// counts how often the effect really happened across crashes.
/// </summary>
internal sealed class FileEffectFunction : IAgentFunction
{
    /// <summary>The variable naming the effects file.</summary>
    public const string Variable = "MDL_TEST_EFFECTS_FILE";

    /// <summary>The variable that sets the function's timeout in milliseconds (default 120,000).</summary>
    public const string TimeoutVariable = "MDL_TEST_FILE_EFFECT_TIMEOUT_MS";

    private static readonly Lock FileLock = new();

    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = "test.file-effect",
        Description = "Appends its idempotency key to a file: an effect outside the cluster.",
        Cost = 0.01,
        ExpectedLatencyMs = 1,
        Effects = new() { ["backlog"] = -1 },
        SideEffect = SideEffectClass.External,
        Permission = "files",

        // Crash tests hold a call's answer until they kill the silo: a stalled machine must not time the call out first.
        // The recovery test shortens it, as recovery waits for the call to be overdue.
        TimeoutMs = int.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), out var timeoutMs) ? timeoutMs : 120_000,
    };

    /// <inheritdoc />
    public Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        var path = Environment.GetEnvironmentVariable(Variable)
            ?? throw new InvalidOperationException($"set {Variable} to the file test.file-effect appends to");
        lock (FileLock)
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            using var writer = new StreamWriter(file);
            writer.WriteLine(call.Reissued ? $"{call.IdempotencyKey} reissued" : call.IdempotencyKey);
            writer.Flush();
            file.Flush(flushToDisk: true);
        }

        return Task.FromResult(FunctionResult.Success(new { written = call.IdempotencyKey }));
    }
}
