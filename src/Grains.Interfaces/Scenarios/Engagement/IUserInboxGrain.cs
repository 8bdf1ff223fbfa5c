namespace Mdl.Scenarios.Engagement;

/// <summary>What a user has been sent (key: user id): recommendations seen and push notifications.</summary>
[Alias("mdl.IUserInboxGrain")]
public interface IUserInboxGrain : IGrainWithStringKey
{
    /// <summary>Records recommended items, once per idempotency key; returns the items recorded under that key.</summary>
    [Alias("Recommend")]
    Task<string[]> RecommendAsync(string idempotencyKey, string[] itemIds);

    /// <summary>Records a push notification, once per idempotency key; returns the notification.</summary>
    [Alias("Push")]
    Task<PushNotification> PushAsync(string idempotencyKey, string message);

    /// <summary>Everything sent so far.</summary>
    [Alias("Get")]
    Task<UserInbox> GetAsync();
}

/// <summary>A push notification as sent.</summary>
[GenerateSerializer, Immutable, Alias("mdl.PushNotification")]
public sealed record PushNotification(
    [property: Id(0)] string Id,
    [property: Id(1)] string Message,
    [property: Id(2)] DateTimeOffset SentAt);

/// <summary>A user's inbox.</summary>
[GenerateSerializer, Immutable, Alias("mdl.UserInbox")]
public sealed record UserInbox(
    [property: Id(0)] string[] SeenItems,
    [property: Id(1)] PushNotification[] Notifications);
