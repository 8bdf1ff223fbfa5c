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
public sealed class ObservationWindow : List<ulong>
{
    /// <summary>An empty window.</summary>
    public ObservationWindow()
    {
    }

    /// <summary>A window holding <paramref name="fingerprints"/>, oldest first.</summary>
    public ObservationWindow(IEnumerable<ulong> fingerprints)
        : base(fingerprints)
    {
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

        var fingerprints = CollectionsMarshal.AsSpan(value);
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(ObservationWindow), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)(fingerprints.Length * sizeof(ulong)));
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
        var window = new ObservationWindow();
        window.EnsureCapacity((int)(length / sizeof(ulong)));
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
