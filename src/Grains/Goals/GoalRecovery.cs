using Mdl.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Mdl.Goals;

/// <summary>
/// Finds goals that should be active and are not, and activates them: a goal whose calls were cut off by a crash
/// (it re-issues them when it activates), and one whose wake-up was due while it was not active (it re-decides when it
/// activates, <see cref="GoalState.WakeAt"/>). What this adds is the activation, for a goal whose silo died, or whose
/// in-memory reminders an embedded silo's restart lost, and that nothing else calls (no observation, no worker answer).
/// </summary>
/// <remarks>
/// <para>
/// Each goal stores, with every state write, the moment it must next be active (<see cref="GoalEngine.StampDue"/>: its
/// next wake-up, or its calls in flight overdue); storage that keeps that moment beside the row
/// (<see cref="IDueGrainIndex"/>: the SQLite file and PostgreSQL) lists the goals past it. No write is added for the
/// index: the moment travels in the state write the goal makes anyway.
/// </para>
/// <para>
/// Every silo looks once at start, which recovers an embedded silo's goals after a restart, and then every
/// <see cref="GoalRecoveryOptions.SweepPeriod"/>. A goal that is alive (waiting for a slow call, or about to take its
/// own wake-up) is only touched (<see cref="IGoalClockGrain.EnsureActiveAsync"/> does nothing), as is one that several
/// silos find at once. With storage that keeps no index (the in-memory provider), there is nothing to look at and this
/// does nothing.
/// </para>
/// </remarks>
public sealed partial class GoalRecovery(
    IServiceProvider services,
    IGrainFactory grains,
    TimeProvider time,
    IOptions<GoalRecoveryOptions> options,
    ILogger<GoalRecovery> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    // Touches run side by side: each is a call that may activate a goal and read its state.
    private const int ConcurrentTouches = 16;

    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(GoalRecovery), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>
    /// Looks once: activates every goal of <paramref name="index"/> that is due now. Returns how many goals were touched,
    /// alive or not.
    /// </summary>
    public async Task<int> SweepAsync(IDueGrainIndex index, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var pageSize = options.Value.PageSize;
        var touched = 0;
        GrainId? after = null;
        while (true)
        {
            var due = await index.DueAsync(GoalGrain.StateName, now, after, pageSize, cancellationToken).ConfigureAwait(false);
            await Parallel.ForEachAsync(
                due,
                new ParallelOptions { MaxDegreeOfParallelism = ConcurrentTouches, CancellationToken = cancellationToken },
                async (goal, cancel) =>
                {
                    try
                    {
                        await grains.GetGrain<IGoalClockGrain>(goal).EnsureActiveAsync().WaitAsync(cancel).ConfigureAwait(false);
                        Interlocked.Increment(ref touched);
                    }
                    catch (Exception exception) when (!cancel.IsCancellationRequested)
                    {
                        // The goal's silo may not be declared dead yet, so its directory entry still points there: the
                        // next look tries again. (A cancellation that is not this silo stopping is such a failure too.)
                        LogTouchFailed(exception, goal);
                    }
                }).ConfigureAwait(false);

            if (due.Count < pageSize)
            {
                return touched;
            }

            after = due[^1];
        }
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetKeyedService<IGrainStorage>(StorageNames.Goals) is IDueGrainIndex index)
        {
            _running = Task.Run(() => RunAsync(index, _stopping.Token), CancellationToken.None);
        }
        else
        {
            LogNoIndex(StorageNames.Goals);
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped mid-look: the next silo to look finds the same goals.
        }
    }

    private async Task RunAsync(IDueGrainIndex index, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepPeriod, time);
        do
        {
            try
            {
                var touched = await SweepAsync(index, cancellationToken).ConfigureAwait(false);
                if (touched > 0)
                {
                    LogSwept(touched);
                }
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Only the silo stopping ends the looks; anything else, a cancelled database command included, waits for
                // the next one.
                LogSweepFailed(exception);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Goal recovery touched {Count} goals that were due")]
    private partial void LogSwept(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Goal recovery could not read the goals due; it tries again at its next look")]
    private partial void LogSweepFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Goal recovery could not reach goal {Goal}; it tries again at its next look")]
    private partial void LogTouchFailed(Exception exception, GrainId goal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain storage {Name} keeps no due index: a goal whose silo died with calls in flight or a wake-up pending acts on them at its next observation")]
    private partial void LogNoIndex(string name);
}
