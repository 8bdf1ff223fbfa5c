using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Mdl.Goals;

/// <summary>
/// A goal's dedupe window: the fingerprints (<see cref="ObservationFingerprint"/>) of its most recent observations' ids,
/// oldest first. Stored by <see cref="ObservationWindowCodec"/> as one block of 8 little-endian bytes per fingerprint.
/// </summary>
/// <remarks>
/// Held as a ring: a busy goal remembers an observation and forgets its oldest on every observation, and a list shifted
/// its whole window (4 KB at the default 512) down by one each time.
/// </remarks>
public sealed class ObservationWindow : IReadOnlyList<ulong>, ICollection<ulong>
{
    private ulong[] _ring;
    private int _start; // index of the oldest
    private int _count;

    /// <summary>An empty window.</summary>
    public ObservationWindow() => _ring = [];

    /// <summary>An empty window with room for <paramref name="capacity"/> fingerprints before it grows.</summary>
    public ObservationWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _ring = new ulong[capacity];
    }

    /// <summary>A window holding <paramref name="fingerprints"/>, oldest first.</summary>
    public ObservationWindow(IEnumerable<ulong> fingerprints)
    {
        ArgumentNullException.ThrowIfNull(fingerprints);
        _ring = [.. fingerprints];
        _count = _ring.Length;
    }

    /// <summary>The number of fingerprints held.</summary>
    public int Count => _count;

    /// <inheritdoc />
    bool ICollection<ulong>.IsReadOnly => false;

    /// <summary>The <paramref name="index"/>-th oldest fingerprint.</summary>
    public ulong this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            return _ring[Slot(index)];
        }
    }

    /// <summary>Appends <paramref name="fingerprint"/> as the newest.</summary>
    public void Add(ulong fingerprint)
    {
        if (_count == _ring.Length)
        {
            Grow();
        }

        _ring[Slot(_count)] = fingerprint;
        _count++;
    }

    /// <summary>Forgets the <paramref name="count"/> oldest fingerprints.</summary>
    public void RemoveOldest(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _count);
        _count -= count;
        _start = _count == 0 ? 0 : (_start + count) % _ring.Length;
    }

    /// <inheritdoc />
    public void Clear()
    {
        _start = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public bool Contains(ulong item)
    {
        foreach (var fingerprint in this)
        {
            if (fingerprint == item)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public void CopyTo(ulong[] array, int arrayIndex)
    {
        var (older, newer) = Runs();
        older.Span.CopyTo(array.AsSpan(arrayIndex));
        newer.Span.CopyTo(array.AsSpan(arrayIndex + older.Length));
    }

    /// <inheritdoc />
    bool ICollection<ulong>.Remove(ulong item) => throw new NotSupportedException("a dedupe window forgets its oldest fingerprints only");

    /// <inheritdoc />
    public IEnumerator<ulong> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return _ring[Slot(i)];
        }
    }

    /// <inheritdoc />
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The fingerprints, oldest first, as at most two runs of the ring.</summary>
    internal (ReadOnlyMemory<ulong> Older, ReadOnlyMemory<ulong> Newer) Runs()
    {
        var firstRun = Math.Min(_count, _ring.Length - _start);
        return (_ring.AsMemory(_start, firstRun), _ring.AsMemory(0, _count - firstRun));
    }

    private int Slot(int index)
    {
        var slot = _start + index;
        return slot >= _ring.Length ? slot - _ring.Length : slot;
    }

    private void Grow()
    {
        var grown = new ulong[Math.Max(4, _ring.Length * 2)];
        CopyTo(grown, 0);
        _ring = grown;
        _start = 0;
    }
}

/// <summary>
/// Orleans's codec and copier for <see cref="ObservationWindow"/>. The wire form is that of a <c>byte[]</c> field — what
/// the window was stored as before it had a type of its own — so states written then load unchanged; but the block is
/// written straight from the list into the serializer's buffer, not built as an array first: a busy goal writes its full
/// window (4 KB) ahead of every action.
/// </summary>
[RegisterSerializer]
[RegisterCopier]
internal sealed class ObservationWindowCodec : IFieldCodec<ObservationWindow>, IDeepCopier<ObservationWindow>
{
    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [AllowNull] Type expectedType, [AllowNull] ObservationWindow value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        var (older, newer) = value.Runs();
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(ObservationWindow), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)(value.Count * sizeof(ulong)));
        Write(ref writer, older.Span);
        Write(ref writer, newer.Span);
    }

    private static void Write<TBufferWriter>(ref Writer<TBufferWriter> writer, ReadOnlySpan<ulong> fingerprints)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(fingerprints));
            return;
        }

        Span<byte> one = stackalloc byte[sizeof(ulong)];
        foreach (var fingerprint in fingerprints)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(one, fingerprint);
            writer.Write(one);
        }
    }

    /// <inheritdoc />
    public ObservationWindow? ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<ObservationWindow, TInput>(ref reader, field);
        }

        field.EnsureWireType(WireType.LengthPrefixed);
        var length = reader.ReadVarUInt32();
        var window = new ObservationWindow((int)(length / sizeof(ulong)));
        Span<byte> one = stackalloc byte[sizeof(ulong)];
        for (var read = 0u; read + sizeof(ulong) <= length; read += sizeof(ulong))
        {
            reader.ReadBytes(one);
            window.Add(BinaryPrimitives.ReadUInt64LittleEndian(one));
        }

        // A block whose length is not a multiple of 8 was not written by this codec; skip what is left of it.
        for (var rest = length % sizeof(ulong); rest > 0; rest--)
        {
            reader.ReadByte();
        }

        ReferenceCodec.RecordObject(reader.Session, window);
        return window;
    }

    /// <inheritdoc />
    public ObservationWindow? DeepCopy(ObservationWindow? input, CopyContext context) => input is null ? null : new(input);
}
