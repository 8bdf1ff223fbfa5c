using System.Text;
using System.Text.Json;
using Mdl.Audit;
using Mdl.Goals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mdl.Functions;

/// <summary>
/// Least privilege on the call path, not only in Decide: a function grain accepts a call only from the goal grain the call
/// names, and only when the permission the function requires is among the grants that goal holds. A direct call from a
/// client or another grain is refused, and every refusal is audited in the named goal's chain.
/// </summary>
internal sealed partial class FunctionGrantFilter(
    FunctionCatalog catalog, IServiceProvider services, TimeProvider time, ILogger<FunctionGrantFilter> logger) : IIncomingGrainCallFilter
{
    private static readonly GrainType GoalType = GrainType.Create(GoalGrain.GrainTypeName);
    private static readonly GrainType WorkerType = GrainType.Create(FunctionWorkerGrain.GrainTypeName);

    /// <inheritdoc />
    public Task Invoke(IIncomingGrainCallContext context)
    {
        // Every grain call of the silo passes here: calls that carry no function call go straight through, without an
        // async frame of their own.
        if (context.Grain is IFunctionGrain && context.Request.GetArgumentCount() == 1 && context.Request.GetArgument(0) is FunctionCall call
            && Refusal(context.SourceId, call) is { } reason)
        {
            return RefuseAsync(call, reason);
        }

        // The goal's record of an external call's result is written by the function worker that made the call, and by
        // nothing else: a forged result would be applied as the call's outcome.
        if (context.Grain is IGoalLedgerGrain && context.InterfaceMethod.DeclaringType == typeof(IGoalLedgerGrain)
            && context.SourceId?.Type != WorkerType)
        {
            LogRefusedRecord(logger, context.TargetId.Key.ToString(), context.SourceId?.ToString() ?? "a client");
            throw new FunctionCallRefusedException("results are recorded by function workers only");
        }

        return context.Invoke();
    }

    private async Task RefuseAsync(FunctionCall call, string reason)
    {
        LogRefused(logger, call.Function, call.GoalId, reason);
        await AuditAsync(call, reason);
        throw new FunctionCallRefusedException($"call to '{call.Function}' refused: {reason}");
    }

    /// <summary>
    /// Whether <paramref name="key"/> (a grain key: UTF-8) is <paramref name="id"/>, compared as bytes: every function
    /// call passes here, and decoding the key made a string per call.
    /// </summary>
    internal static bool IsKey(IdSpan key, string id)
    {
        var bytes = key.AsSpan();
        if (id.Length > 256)
        {
            return key.ToString() == id;
        }

        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(id.Length)];
        return Encoding.UTF8.TryGetBytes(id, utf8, out var written) && utf8[..written].SequenceEqual(bytes);
    }

    /// <summary>Why the call must be refused, or null when it may go ahead.</summary>
    private string? Refusal(GrainId? source, FunctionCall call)
    {
        if (source is not { } caller || caller.Type != GoalType)
        {
            return "functions are called by goals only";
        }

        if (!IsKey(caller.Key, call.GoalId))
        {
            return $"the caller is goal '{caller.Key}', not goal '{call.GoalId}'";
        }

        if (catalog.Find(call.Function) is not { } descriptor)
        {
            return "no such function";
        }

        if (descriptor.Permission.Length > 0 && !call.Grants.Contains(descriptor.Permission))
        {
            return $"goal '{call.GoalId}' lacks the permission '{descriptor.Permission}'";
        }

        return null;
    }

    private async Task AuditAsync(FunctionCall call, string reason)
    {
        if (services.GetService<IAuditLog>() is not { } audit || !GoalDefinitionValidator.IsName(call.GoalId))
        {
            return;
        }

        try
        {
            var data = JsonSerializer.SerializeToElement(new { function = call.Function, idempotencyKey = call.IdempotencyKey, reason }, MdlJson.Options);
            await audit.AppendAsync(new AuditRecord(call.GoalId, AuditKinds.Refusal, time.GetUtcNow(), data));
        }
        catch (Exception exception)
        {
            LogAuditFailed(logger, exception, call.GoalId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a result record for goal {GoalId} from {Caller}: results are recorded by function workers only")]
    private static partial void LogRefusedRecord(ILogger logger, string goalId, string caller);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a call to {Function} for goal {GoalId}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string function, string goalId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not audit a refused call for goal {GoalId}")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string goalId);
}
