using System.Text.Json;
using Mdl.Functions;

namespace Mdl.Scenarios.Engagement;

/// <summary><c>recommend.items</c>: picks items the user has not seen from the catalog and records them as recommended.</summary>
internal sealed class RecommendItemsFunction(IGrainFactory grains) : IAgentFunction
{
    /// <summary>The function's name.</summary>
    public const string Name = "recommend.items";

    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = Name,
        Description = "Recommends up to 'count' catalog items the user has not seen yet.",
        Cost = 0.001,
        ExpectedLatencyMs = 5,
        Effects = new() { ["engagement.score"] = 0.1 },
        SideEffect = SideEffectClass.Idempotent,
        Permission = "recommend",
        InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"count":{"type":"integer","minimum":1,"maximum":10}}}""").RootElement.Clone(),
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        var userId = EngagementArguments.UserId(call);
        var count = Math.Clamp(EngagementArguments.Int(call, "count", 3), 1, 10);
        var inbox = grains.GetGrain<IUserInboxGrain>(userId);
        var seen = (await inbox.GetAsync()).SeenItems.ToHashSet(StringComparer.Ordinal);
        var fresh = (await grains.GetGrain<IItemCatalogGrain>("default").ListAsync())
            .Where(item => !seen.Contains(item.Id))
            .Take(count)
            .Select(item => item.Id)
            .ToArray();
        if (fresh.Length == 0)
        {
            // Nothing is left to show this user, which is no fault of the function: a failure would be retried, and would
            // count towards the circuit every goal on the silo shares, so one such user would stop recommendations for
            // all. The call succeeds having recommended nothing; the engagement that does not follow teaches the goal
            // that this function no longer helps this user.
            return FunctionResult.Success(new { userId, items = Array.Empty<string>(), note = "the user has seen every catalog item" });
        }

        var recorded = await inbox.RecommendAsync(call.IdempotencyKey, fresh);
        return FunctionResult.Success(new { userId, items = recorded });
    }
}
