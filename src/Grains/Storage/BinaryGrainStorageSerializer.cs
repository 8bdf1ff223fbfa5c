using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Session;
using Orleans.Storage;

namespace Mdl.Storage;

/// <summary>
/// Grain state as Orleans's binary serializer writes it — the same bytes as Orleans's own
/// <see cref="OrleansGrainStorageSerializer"/> — but made in pooled buffers. Orleans's version grows an
/// <c>ArrayBufferWriter</c> from 256 bytes, allocating and copying at every doubling, and the storages then copied the
/// result again: for a goal written ahead of every action that was half of everything a loop allocated.
/// <see cref="SerializePooled"/> goes further and hands the storage a rented buffer, so a write allocates nothing of the
/// state's size at all.
/// </summary>
public sealed class BinaryGrainStorageSerializer(Serializer serializer, SerializerSessionPool sessions) : IGrainStorageSerializer
{
    /// <summary>The serializer over the silo's (or client's) own Orleans serializer.</summary>
    public static BinaryGrainStorageSerializer From(IServiceProvider services) =>
        new(services.GetRequiredService<Serializer>(), services.GetRequiredService<SerializerSessionPool>());

    /// <inheritdoc />
    public BinaryData Serialize<T>(T? value) => new(serializer.SerializeToArray(value));

    /// <summary>
    /// <paramref name="value"/>'s bytes — the same as <see cref="Serialize{T}"/>'s — in an array rented from the shared
    /// pool; the caller disposes the result once the storage has taken its copy.
    /// </summary>
    /// <remarks>
    /// Written straight into the rented array, sized by the last state of the same type, rather than into the
    /// serializer's pooled segments and then copied out: a busy goal's state is written with every observation.
    /// </remarks>
    public StateBuffer SerializePooled<T>(T? value)
    {
        using var session = sessions.GetSession();
        var writer = Writer.Create(new RentedBufferWriter(LastSize<T>.Bytes), session);
        try
        {
            serializer.Serialize(value, ref writer);
            var output = writer.Output.Take();
            LastSize<T>.Bytes = output.Length;
            return output;
        }
        finally
        {
            writer.Output.Dispose(); // the array, unless taken
        }
    }

    /// <inheritdoc />
    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return serializer.Deserialize<T>(input.ToMemory());
    }
}

/// <summary>
/// The size of the last state of <typeparamref name="T"/> serialised: what the next one's buffer starts at, up to 1 MB
/// (one unusually large state should not make every later write rent as much). Written by any thread; a stale value
/// only means a buffer that grows once, or is larger than it needs to be.
/// </summary>
internal static class LastSize<T>
{
    private const int Largest = 1024 * 1024;
    private static int _bytes = 1024;

    public static int Bytes
    {
        get => Volatile.Read(ref _bytes);
        set => Volatile.Write(ref _bytes, Math.Min(value, Largest));
    }
}

/// <summary>
/// A buffer writer over one array rented from <see cref="ArrayPool{T}.Shared"/>, grown by renting a larger one and
/// copying; a struct, so the serializer's writer holds it without an allocation.
/// </summary>
internal struct RentedBufferWriter(int capacity) : IBufferWriter<byte>, IDisposable
{
    private byte[]? _array = ArrayPool<byte>.Shared.Rent(Math.Max(256, capacity));
    private int _written;

    /// <inheritdoc />
    public void Advance(int count) => _written += count;

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_written);

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_written);

    /// <summary>The bytes written, as a buffer the caller now owns; this writer holds nothing after it.</summary>
    public StateBuffer Take()
    {
        var array = _array ?? throw new ObjectDisposedException(nameof(RentedBufferWriter));
        _array = null;
        return new StateBuffer(array, _written, rented: true);
    }

    /// <summary>Returns the array to the pool unless it was taken.</summary>
    public void Dispose()
    {
        if (_array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private byte[] Ensure(int sizeHint)
    {
        var array = _array ?? throw new ObjectDisposedException(nameof(RentedBufferWriter));
        var needed = Math.Max(1, sizeHint);
        if (array.Length - _written >= needed)
        {
            return array;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(2 * array.Length, _written + needed));
        array.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(array);
        return _array = larger;
    }
}

/// <summary>
/// One state's serialised bytes on their way to a database: in an array rented from <see cref="ArrayPool{T}.Shared"/>
/// (from <see cref="BinaryGrainStorageSerializer.SerializePooled{T}"/>), or owned outright (any other serializer).
/// Database drivers copy parameter bytes into their own buffers, so the array goes back to the pool once the write is
/// done; disposing more than once returns it once.
/// </summary>
public sealed class StateBuffer : IDisposable
{
    private byte[]? _array;
    private readonly bool _rented;

    internal StateBuffer(byte[] array, int length, bool rented)
    {
        _array = array;
        _rented = rented;
        Length = length;
    }

    /// <summary>The number of bytes.</summary>
    public int Length { get; }

    /// <summary>The bytes; valid until disposed.</summary>
    public ReadOnlyMemory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(StateBuffer))).AsMemory(0, Length);

    /// <summary>
    /// <paramref name="value"/> serialised by <paramref name="serializer"/>: pooled when it is the product's binary
    /// serializer, else the serializer's own output.
    /// </summary>
    public static StateBuffer Serialize<T>(IGrainStorageSerializer serializer, T? value)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        if (serializer is BinaryGrainStorageSerializer binary)
        {
            return binary.SerializePooled(value);
        }

        var bytes = StateBytes.Of(serializer.Serialize(value));
        return new StateBuffer(bytes, bytes.Length, rented: false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null && _rented)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}

/// <summary>Bytes to store from a serializer's output.</summary>
public static class StateBytes
{
    /// <summary>
    /// The array behind <paramref name="data"/> when it spans all of it (as <see cref="BinaryGrainStorageSerializer.Serialize{T}"/>'s
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
