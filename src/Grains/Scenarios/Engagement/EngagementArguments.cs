using System.Text.Json;
using Mdl.Functions;
using Mdl.Metrics;

namespace Mdl.Scenarios.Engagement;

/// <summary>Reads the engagement functions' arguments.</summary>
internal static class EngagementArguments
{
    /// <summary>The user a call is about: <c>context.userId</c> from the goal's definition, else the goal id.</summary>
    public static string UserId(FunctionCall call) =>
        MetricAggregation.TryGetPath(call.Arguments, "context.userId", out var user) && user.ValueKind == JsonValueKind.String
            ? user.GetString()!
            : call.GoalId;

    /// <summary>A whole number at <paramref name="path"/>, else <paramref name="fallback"/>.</summary>
    public static int Int(FunctionCall call, string path, int fallback) =>
        MetricAggregation.TryGetPath(call.Arguments, path, out var value) && value.TryGetInt32(out var n) ? n : fallback;
}
