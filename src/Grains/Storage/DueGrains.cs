namespace Mdl.Storage;

/// <summary>
/// Grain state that names the moment by which its grain must be active again, whether or not anything calls it: a goal
/// with calls in flight or a wake-up pending must be, or a call cut off by a crash is never re-issued and the wake-up
/// never taken. Storage that keeps this moment beside the row (<see cref="IDueGrainIndex"/>) lets the silos find such
/// grains after the silo that held them is gone.
/// </summary>
public interface IDueState
{
    /// <summary>The moment, or null when the grain may stay inactive until something calls it.</summary>
    DateTimeOffset? DueAt { get; }
}

/// <summary>
/// Grain storage that stores <see cref="IDueState.DueAt"/> with each write, in the same row and the same commit, and lists
/// the grains it has fallen due for. Nothing is written for the index beyond the state write itself.
/// </summary>
public interface IDueGrainIndex
{
    /// <summary>
    /// Up to <paramref name="limit"/> grains of state <paramref name="stateName"/> whose stored due moment is at or before
    /// <paramref name="now"/>, in grain id order after <paramref name="after"/> (null for the first page).
    /// </summary>
    Task<IReadOnlyList<GrainId>> DueAsync(string stateName, DateTimeOffset now, GrainId? after, int limit, CancellationToken cancellationToken);
}
