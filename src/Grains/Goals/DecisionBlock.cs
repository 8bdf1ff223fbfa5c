using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Mdl.Decisions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
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
        ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, Type actualType, ReadOnlySpan<ReadOnlyMemory<byte>> parts)
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

/// <summary>
/// What Orleans's codecs and copiers for the two holders of a <see cref="DecisionBlock"/> share: the record serializer,
/// references, and the block's framing. A holder says only how it encodes its records and how it is made from a block.
/// </summary>
internal abstract class DecisionBlockCodec<T>(IServiceProvider services) : IFieldCodec<T>, IDeepCopier<T>
    where T : class
{
    // Resolved on first use: the record serializer depends on the codec registry this codec is part of.
    private Serializer<DecisionRecord>? _records;
    private Func<ReadOnlyMemory<byte>, DecisionRecord>? _decode;

    /// <summary>Orleans's serializer for one record.</summary>
    protected Serializer<DecisionRecord> Records => _records ??= services.GetRequiredService<Serializer<DecisionRecord>>();

    /// <summary>How a record's bytes become the record again.</summary>
    protected Func<ReadOnlyMemory<byte>, DecisionRecord> Decoder => _decode ??= DecisionBlock.DecoderOf(Records);

    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [AllowNull] Type expectedType, [AllowNull] T value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        WriteBlock(ref writer, fieldIdDelta, expectedType, value!);
    }

    /// <inheritdoc />
    public T? ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<T, TInput>(ref reader, field);
        }

        var value = FromBlock(DecisionBlock.Read(ref reader, field));
        ReferenceCodec.RecordObject(reader.Session, value);
        return value;
    }

    /// <inheritdoc />
    public T? DeepCopy(T? input, CopyContext context) => input is null ? null : Copy(input);

    /// <summary>Writes <paramref name="value"/>'s records as one block (<see cref="DecisionBlock.Write"/>).</summary>
    protected abstract void WriteBlock<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, T value)
        where TBufferWriter : IBufferWriter<byte>;

    /// <summary>The holder read from <paramref name="block"/>.</summary>
    protected abstract T FromBlock(byte[] block);

    /// <summary>A copy of <paramref name="value"/> (records and bytes are immutable, so they are shared).</summary>
    protected abstract T Copy(T value);
}
