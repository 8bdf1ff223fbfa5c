using System.Collections.Concurrent;
using System.Globalization;
using Mdl.Storage;
using Orleans.Storage;

namespace Mdl.Bench.Storage;

/// <summary>
/// Grain storage in this process's heap: each state serialised with Orleans's binary serializer (what the product's
/// SQLite storage writes), kept as an exactly sized byte array, behind an ETag checked on every write and clear. It is
/// the product's serialisation without a disk, and without what Orleans's memory storage adds that no product storage
/// has: a grain call to its storage grain on every write, and each stored copy kept in a buffer of 8 KB or more.
/// </summary>
internal sealed class HeapGrainStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    private static long _storedBytes;
    private static long _etags;
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Stored> _states = new();

    /// <summary>The bytes every heap storage holds now: how much of the heap is the stored copies, not the live grains.</summary>
    public static long StoredBytes => Interlocked.Read(ref _storedBytes);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_states.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(new BinaryData(stored.Bytes))!;
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        var next = new Stored(StateBytes.Of(serializer.Serialize(grainState.State)), NextETag());
        var current = Current(key, grainState.ETag);
        if (current is null ? !_states.TryAdd(key, next) : !_states.TryUpdate(key, next, current))
        {
            throw Conflict(stateName, grainId);
        }

        Interlocked.Add(ref _storedBytes, next.Bytes.Length - (current?.Bytes.Length ?? 0));
        grainState.ETag = next.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        if (Current(key, grainState.ETag) is { } current)
        {
            if (!_states.TryRemove(new(key, current)))
            {
                throw Conflict(stateName, grainId);
            }

            Interlocked.Add(ref _storedBytes, -current.Bytes.Length);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private Stored? Current((string, GrainId) key, string? expectedETag)
    {
        var current = _states.GetValueOrDefault(key);
        return current?.ETag == expectedETag ? current : throw Conflict(key.Item1, key.Item2);
    }

    private static string NextETag() => Interlocked.Increment(ref _etags).ToString(CultureInfo.InvariantCulture);

    private static InconsistentStateException Conflict(string stateName, GrainId grainId) =>
        new($"the stored '{stateName}' of {grainId} changed since it was read");

    private sealed record Stored(byte[] Bytes, string ETag);
}
