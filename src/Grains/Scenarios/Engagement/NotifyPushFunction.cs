using System.Text.Json;
using Mdl.Functions;

namespace Mdl.Scenarios.Engagement;

/// <summary><c>notify.push</c>: sends the user a push notification (recorded in the user's inbox, once per idempotency key).</summary>
internal sealed class NotifyPushFunction(IGrainFactory grains) : IAgentFunction
{
    /// <summary>The function's name.</summary>
    public const string Name = "notify.push";

    /// <inheritdoc />
    public FunctionDescriptor Descriptor { get; } = new()
    {
        Name = Name,
        Description = "Sends the user a push notification nudging them back.",
        Cost = 0.01,
        ExpectedLatencyMs = 20,
        Effects = new() { ["engagement.score"] = 0.25, ["notifications.today"] = 1 },
        SideEffect = SideEffectClass.External,
        Permission = "notify",
        InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"message":{"type":"string","maxLength":200}}}""").RootElement.Clone(),
    };

    /// <inheritdoc />
    public async Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        var userId = EngagementArguments.UserId(call);
        var message = "We picked a few things you might like.";
        var notification = await grains.GetGrain<IUserInboxGrain>(userId).PushAsync(call.IdempotencyKey, message);
        return FunctionResult.Success(new { userId, notificationId = notification.Id, notification.Message, notification.SentAt });
    }
}
