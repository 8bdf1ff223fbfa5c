using System.Threading.Channels;
using Mdl.Decisions;
using Mdl.Goals;

namespace Mdl.Client;

/// <summary>
/// A live subscription to one goal's decisions, from <see cref="MdlClient.WatchAsync"/>. Read it with <see cref="ReadAllAsync"/>;
/// dispose it to unsubscribe.
/// </summary>
/// <remarks>
/// The goal calls back a client-side grain observer, which hands each record to a channel. Goals forget watchers that are
/// not renewed within a minute, so the subscription is renewed every <see cref="MdlClient.WatchRenewalInterval"/>; a renewal
/// also re-registers the watcher with a goal that was deactivated and reactivated meanwhile. Decisions made while a goal
/// had forgotten the watcher are missed: fill gaps by sequence number with <see cref="MdlClient.GetDecisionsAsync"/>.
/// Orleans does not order one-way messages, so decisions made milliseconds apart may arrive out of sequence
/// (a decision's pending notice never follows its outcome, though): order by <see cref="DecisionRecord.Seq"/> where it matters.
/// </remarks>
public sealed class DecisionWatch : IAsyncDisposable
{
    // A watch whose renewals have all failed for this long has lost its subscription on the goal: tell the reader.
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(50);

    private readonly IGoalGrain _goal;
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly Channel<DecisionRecord> _channel = Channel.CreateUnbounded<DecisionRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly DecisionWatcher _watcher;
    private readonly IDecisionWatcher _reference;
    private Task _renewing = Task.CompletedTask;
    private int _disposed;

    internal DecisionWatch(string goalId, IGoalGrain goal, IGrainFactory grains, TimeProvider time)
    {
        GoalId = goalId;
        _goal = goal;
        _grains = grains;
        _time = time;

        // Orleans holds the local observer weakly: this object keeps it alive for as long as the watch lasts.
        _watcher = new DecisionWatcher(_channel.Writer);
        _reference = grains.CreateObjectReference<IDecisionWatcher>(_watcher);
    }

    /// <summary>The goal watched.</summary>
    public string GoalId { get; }

    /// <summary>Each decision as it is recorded, and again when its outcome arrives; ends when the watch is disposed or lost.</summary>
    public IAsyncEnumerable<DecisionRecord> ReadAllAsync(CancellationToken ct = default) => _channel.Reader.ReadAllAsync(ct);

    /// <summary>Unsubscribes (best effort: a goal drops an unrenewed watcher within a minute anyway) and ends <see cref="ReadAllAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await _renewing;
        try
        {
            await _goal.UnwatchAsync(_reference).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // The cluster may be gone; the subscription then expires on its own.
        }

        _grains.DeleteObjectReference<IDecisionWatcher>(_reference);
        _channel.Writer.TryComplete();
        _stop.Dispose();
    }

    /// <summary>Subscribes; the watch is live once this completes.</summary>
    internal async Task StartAsync(CancellationToken ct)
    {
        await _goal.WatchAsync(_reference).WaitAsync(ct);
        _renewing = RenewAsync(_stop.Token);
    }

    private async Task RenewAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(MdlClient.WatchRenewalInterval, _time);
        var lastRenewed = _time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await _goal.WatchAsync(_reference).WaitAsync(ct);
                    lastRenewed = _time.GetTimestamp();
                }
                catch (Exception exception) when (exception is not OperationCanceledException && _time.GetElapsedTime(lastRenewed) >= LostAfter)
                {
                    _channel.Writer.TryComplete(exception);
                    return;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Transient: the subscription still has time left; try again at the next tick.
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}
