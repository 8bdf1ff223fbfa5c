using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Mdl.Goals;
using Mdl.Storage;
using Orleans.Storage;

namespace Mdl.Bench.Storage;

/// <summary>
/// Grain storage in this process: each state serialised with Orleans's binary serializer (what the product's SQLite
/// storage writes), kept as an exactly sized block of native memory, behind an ETag checked on every write and clear. It is
/// the product's serialisation without a disk, and without what Orleans's memory storage adds that no product storage
/// has: a grain call to its storage grain on every write, and each stored copy kept in a buffer of 8 KB or more.
/// </summary>
/// <remarks>
/// The copies live outside the managed heap because that is where a real silo's stored states are: in SQLite's or
/// PostgreSQL's files and caches, not among the silo's objects. Kept in the heap they would count as memory the goals
/// hold, which a database-backed silo does not. <see cref="StoredBytes"/> reports them, so the figures still show them
/// apart. Only the index (a small record per stored state) stays in the heap, and is counted.
/// </remarks>
internal sealed class HeapGrainStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    private static long _storedBytes;
    private static long _etags;
    private static long _goalWrittenBytes;
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Stored> _states = new();

    /// <summary>The bytes every such storage holds now, outside the managed heap.</summary>
    public static long StoredBytes => Interlocked.Read(ref _storedBytes);

    /// <summary>
    /// The serialised bytes of the goal states (<see cref="GoalState"/>) every such storage has written so far: what a
    /// goal's write carries, to set beside the fixed block the shaped chain writes.
    /// </summary>
    public static long GoalWrittenBytes => Interlocked.Read(ref _goalWrittenBytes);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_states.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(new BinaryData(stored.Read()))!;
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        Stored next;
        using (var bytes = StateBuffer.Serialize(serializer, grainState.State))
        {
            next = Stored.Copy(bytes.Memory, NextETag());
        }

        var current = Current(key, grainState.ETag, next);
        if (current is null ? !_states.TryAdd(key, next) : !_states.TryUpdate(key, next, current))
        {
            next.Free();
            throw Conflict(stateName, grainId);
        }

        current?.Free();
        Interlocked.Add(ref _storedBytes, next.Length - (current?.Length ?? 0));
        if (grainState.State is GoalState)
        {
            Interlocked.Add(ref _goalWrittenBytes, next.Length);
        }

        grainState.ETag = next.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        if (Current(key, grainState.ETag, null) is { } current)
        {
            if (!_states.TryRemove(new(key, current)))
            {
                throw Conflict(stateName, grainId);
            }

            current.Free();
            Interlocked.Add(ref _storedBytes, -current.Length);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private Stored? Current((string, GrainId) key, string? expectedETag, Stored? pending)
    {
        var current = _states.GetValueOrDefault(key);
        if (current?.ETag == expectedETag)
        {
            return current;
        }

        pending?.Free();
        throw Conflict(key.Item1, key.Item2);
    }

    private static string NextETag() => Interlocked.Increment(ref _etags).ToString(CultureInfo.InvariantCulture);

    private static InconsistentStateException Conflict(string stateName, GrainId grainId) =>
        new($"the stored '{stateName}' of {grainId} changed since it was read");

    /// <summary>One stored state: its bytes in native memory, freed when a later write or a clear replaces it.</summary>
    private sealed class Stored(IntPtr bytes, int length, string etag)
    {
        private IntPtr _bytes = bytes;

        public int Length { get; } = length;

        public string ETag { get; } = etag;

        public static Stored Copy(ReadOnlyMemory<byte> bytes, string etag)
        {
            var block = Marshal.AllocHGlobal(Math.Max(1, bytes.Length));
            var source = MemoryMarshal.TryGetArray(bytes, out var segment) ? segment : new ArraySegment<byte>(bytes.ToArray());
            Marshal.Copy(source.Array!, source.Offset, block, source.Count);
            return new Stored(block, bytes.Length, etag);
        }

        public byte[] Read()
        {
            // A reader that took this copy just before a writer replaced it may race the free; in this harness a state is
            // read only when its grain activates, before any write of that activation, so the race has no caller.
            var copy = new byte[Length];
            Marshal.Copy(_bytes, copy, 0, Length);
            return copy;
        }

        public void Free()
        {
            var block = Interlocked.Exchange(ref _bytes, IntPtr.Zero);
            if (block != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(block);
            }
        }
    }
}
