using Mdl.Storage;

namespace Mdl.Scenarios.Engagement;

/// <summary>
/// What a user has been sent. Each write is keyed by the caller's idempotency key, so a re-issued action
/// (same <c>goalId/decisionSeq</c>) returns what was recorded the first time instead of sending again.
/// </summary>
/// <remarks>
/// An inbox is touched a few times a day per user, when a goal nudges them, so it leaves memory shortly after a nudge
/// (<see cref="Linger"/>) rather than stay activated for Orleans's idle age (15 minutes): with a goal per user, a resident
/// inbox would add a second activation (about 2.3 KB of Orleans bookkeeping plus its state) to every goal that acted
/// recently. It lingers briefly because one round of a goal usually touches it more than once (recommend, then push);
/// the next round reads it back from storage, which is cheaper than holding it.
/// </remarks>
internal sealed class UserInboxGrain(
    [PersistentState("inbox", StorageNames.Goals)] IPersistentState<UserInboxState> state,
    TimeProvider time) : Grain, IUserInboxGrain
{
    private const int KeysKept = 256;

    /// <summary>How long an inbox stays activated after it was last touched.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    private IGrainTimer? _leave;

    /// <inheritdoc />
    public async Task<string[]> RecommendAsync(string idempotencyKey, string[] itemIds)
    {
        LeaveSoon();
        if (state.State.Recommended.TryGetValue(idempotencyKey, out var earlier))
        {
            return earlier;
        }

        state.State.SeenItems.AddRange(itemIds.Where(id => !state.State.SeenItems.Contains(id)));
        state.State.Recommended[idempotencyKey] = itemIds;
        Forget(state.State.Recommended);
        await state.WriteStateAsync();
        return itemIds;
    }

    /// <inheritdoc />
    public async Task<PushNotification> PushAsync(string idempotencyKey, string message)
    {
        LeaveSoon();
        if (state.State.Notifications.FirstOrDefault(n => n.Id == idempotencyKey) is { } earlier)
        {
            return earlier;
        }

        var notification = new PushNotification(idempotencyKey, message, time.GetUtcNow());
        state.State.Notifications.Add(notification);
        if (state.State.Notifications.Count > KeysKept)
        {
            state.State.Notifications.RemoveAt(0);
        }

        await state.WriteStateAsync();
        return notification;
    }

    /// <inheritdoc />
    public Task<UserInbox> GetAsync()
    {
        LeaveSoon();
        return Task.FromResult(new UserInbox([.. state.State.SeenItems], [.. state.State.Notifications]));
    }

    private void LeaveSoon()
    {
        if (_leave is null)
        {
            _leave = this.RegisterGrainTimer(
                _ =>
                {
                    DeactivateOnIdle();
                    return Task.CompletedTask;
                },
                new GrainTimerCreationOptions(Linger, Timeout.InfiniteTimeSpan));
        }
        else
        {
            _leave.Change(Linger, Timeout.InfiniteTimeSpan);
        }
    }

    private static void Forget(Dictionary<string, string[]> byKey)
    {
        foreach (var key in byKey.Keys.Take(Math.Max(0, byKey.Count - KeysKept)).ToList())
        {
            byKey.Remove(key);
        }
    }
}

/// <summary>The inbox's persisted state.</summary>
[GenerateSerializer, Alias("mdl.UserInboxState")]
public sealed class UserInboxState
{
    /// <summary>Items already recommended.</summary>
    [Id(0)] public List<string> SeenItems { get; set; } = [];

    /// <summary>Idempotency key → items recommended under it.</summary>
    [Id(1)] public Dictionary<string, string[]> Recommended { get; set; } = [];

    /// <summary>Notifications sent, oldest first (the id is the idempotency key).</summary>
    [Id(2)] public List<PushNotification> Notifications { get; set; } = [];
}
