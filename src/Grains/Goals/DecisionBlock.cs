using System.Buffers;
using System.Buffers.Binary;
using Mdl.Decisions;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.WireProtocol;

namespace Mdl.Goals;

/// <summary>
/// How decisions are stored, in a goal's state (<see cref="DecisionLog"/>) and in its history (<see cref="DecisionArchive"/>):
/// one length-prefixed field holding, per record, its length (4 bytes, little-endian) and its serialised bytes.
/// </summary>
internal static class DecisionBlock
{
    /// <summary>Writes <paramref name="parts"/> as one field of <paramref name="actualType"/>.</summary>
    public static void Write<TBufferWriter>(
        ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, Type actualType, ReadOnlyMemory<byte>[] parts)
        where TBufferWriter : IBufferWriter<byte>
    {
        var size = 0;
        foreach (var part in parts)
        {
            size += sizeof(int) + part.Length;
        }

        writer.WriteFieldHeader(fieldIdDelta, expectedType, actualType, WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)size);
        Span<byte> length = stackalloc byte[sizeof(int)];
        foreach (var part in parts)
        {
            BinaryPrimitives.WriteInt32LittleEndian(length, part.Length);
            writer.Write(length);
            writer.Write(part.Span);
        }
    }

    /// <summary>The field's block, as read after its header.</summary>
    public static byte[] Read<TInput>(ref Reader<TInput> reader, Field field)
    {
        field.EnsureWireType(WireType.LengthPrefixed);
        return reader.ReadBytes(reader.ReadVarUInt32());
    }

    /// <summary>Each record's bytes in <paramref name="block"/>, in order: slices of it, not copies.</summary>
    public static List<ReadOnlyMemory<byte>> Split(byte[] block)
    {
        var parts = new List<ReadOnlyMemory<byte>>();
        var at = 0;
        while (at < block.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(at));
            parts.Add(block.AsMemory(at + sizeof(int), length));
            at += sizeof(int) + length;
        }

        return parts;
    }

    /// <summary>How a record's bytes become the record again, through <paramref name="records"/>.</summary>
    public static Func<ReadOnlyMemory<byte>, DecisionRecord> DecoderOf(Serializer<DecisionRecord> records) =>
        bytes => records.Deserialize(bytes) ?? throw new InvalidDataException("a stored decision record is empty");
}
