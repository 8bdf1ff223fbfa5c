using System.Diagnostics;
using Mdl.Goals;
using Orleans.Storage;

namespace Mdl.Bench.Storage;

/// <summary>
/// Wraps the memory grain storage of the <c>goals</c> provider: counts goal-state writes (the state written on every
/// change; history writes apart) and the time they take (serialisation, plus the storage grain hop with Orleans's memory storage)
/// for the profile, and keeps the last state a watched goal wrote, for its size.
/// </summary>
internal sealed class SignallingGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private int _participating;

    private static long _goalWrites;
    private static long _goalWriteTicks;
    private static long _historyWrites;
    private static long _otherWrites;
    // Keyed by the grain key's bytes, which a write hands over as they are: no string per write.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IdSpan, GoalState> Watched = new();

    /// <summary>Keeps a reference to the state <paramref name="goalId"/> last wrote, so its stored size can be measured.</summary>
    public static void Watch(string goalId) => Watched.TryAdd(IdSpan.Create(goalId), new GoalState());

    /// <summary>The state <paramref name="goalId"/> last wrote, if it is watched and has written.</summary>
    public static GoalState? LastWritten(string goalId) =>
        Watched.TryGetValue(IdSpan.Create(goalId), out var state) && state.Definition is not null ? state : null;

    /// <summary>Goal-state writes so far.</summary>
    public static long GoalWrites => Interlocked.Read(ref _goalWrites);

    /// <summary>Time spent in goal-state writes so far, in <see cref="Stopwatch"/> ticks.</summary>
    public static long GoalWriteTicks => Interlocked.Read(ref _goalWriteTicks);

    /// <summary>Writes of goals' decision histories so far.</summary>
    public static long HistoryWrites => Interlocked.Read(ref _historyWrites);

    /// <summary>Writes of other grains' state (registry, scenario grains) so far.</summary>
    public static long OtherWrites => Interlocked.Read(ref _otherWrites);

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        // A provider that opens a database on start (SQLite) must still do so, once, when it is wrapped.
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant && Interlocked.Exchange(ref _participating, 1) == 0)
        {
            participant.Participate(lifecycle);
        }
    }

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.State is not GoalState goal)
        {
            Interlocked.Increment(ref grainState.State is DecisionHistoryState ? ref _historyWrites : ref _otherWrites);
            await inner.WriteStateAsync(stateName, grainId, grainState);
            return;
        }

        // Look before the write: the grain may change its state again while the write is out (it is reentrant).
        if (Watched.ContainsKey(grainId.Key))
        {
            Watched[grainId.Key] = goal;
        }

        var started = Stopwatch.GetTimestamp();
        await inner.WriteStateAsync(stateName, grainId, grainState);
        Interlocked.Add(ref _goalWriteTicks, Stopwatch.GetTimestamp() - started);
        Interlocked.Increment(ref _goalWrites);
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
