using System.Runtime.InteropServices;
using Orleans.Serialization;
using Orleans.Storage;

namespace Mdl.Storage;

/// <summary>
/// Grain state as Orleans's binary serializer writes it — the same bytes as Orleans's own
/// <see cref="OrleansGrainStorageSerializer"/> — but made in pooled buffers and copied once into an array of the exact
/// size. Orleans's version grows an <c>ArrayBufferWriter</c> from 256 bytes, allocating and copying at every doubling, and
/// the storages then copied the result again: for a goal written ahead of every action that was half of everything a
/// loop allocated.
/// </summary>
public sealed class BinaryGrainStorageSerializer(Serializer serializer) : IGrainStorageSerializer
{
    /// <inheritdoc />
    public BinaryData Serialize<T>(T? value) => new(serializer.SerializeToArray(value));

    /// <inheritdoc />
    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return serializer.Deserialize<T>(input.ToMemory());
    }
}

/// <summary>Bytes to store from a serializer's output.</summary>
public static class StateBytes
{
    /// <summary>
    /// The array behind <paramref name="data"/> when it spans all of it (as <see cref="BinaryGrainStorageSerializer"/>'s
    /// output does), else a copy. Storages hand it to the database and keep no reference, so sharing it is safe.
    /// </summary>
    public static byte[] Of(BinaryData data)
    {
        var memory = data.ToMemory();
        return MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();
    }
}
