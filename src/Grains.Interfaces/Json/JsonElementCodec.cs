using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.GeneratedCodeHelpers;
using Orleans.Serialization.WireProtocol;

namespace Mdl;

/// <summary>
/// The wire form of a <see cref="JsonElement"/> between silos, clients and storage: an object whose field 0 is the
/// element's UTF-8 text (null for an undefined element). <see cref="JsonElementCodec"/> reads and writes this form
/// without building the struct; the struct stays as its definition, and states and messages written through it load.
/// </summary>
[GenerateSerializer, Immutable, Alias("mdl.JsonElement")]
public struct JsonElementSurrogate
{
    /// <summary>The element's raw JSON, or null for an undefined element.</summary>
    [Id(0)] public byte[]? Utf8;
}

/// <summary>
/// Lets Orleans serialize observation payloads, function arguments and results, which are free-form JSON. Writes the
/// element's own UTF-8 text straight into the buffer: every state write and grain call carrying JSON passes here, and a
/// copy of the text per write (as a surrogate converter makes) was 5 % of the bytes a loop allocates.
/// </summary>
/// <remarks>
/// The bytes are those <see cref="JsonElementSurrogate"/>'s generated codec writes, reference numbering included: that
/// codec records the text's array as a new object, which takes one reference id; this one takes the id without an object
/// (<see cref="ReferenceCodec.MarkValueField"/>), so ids of later objects in the same message or state stay the same.
/// A test pins both directions.
/// </remarks>
[RegisterSerializer]
public sealed class JsonElementCodec : IFieldCodec<JsonElement>
{
    private static readonly Type CodecFieldType = typeof(JsonElement);

    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, JsonElement value)
        where TBufferWriter : IBufferWriter<byte>
    {
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteStartObject(fieldIdDelta, expectedType, CodecFieldType);
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            ByteArrayCodec.WriteField(ref writer, 0, null!);
        }
        else
        {
            var utf8 = JsonMarshal.GetRawUtf8Value(value);
            ReferenceCodec.MarkValueField(writer.Session);
            writer.WriteFieldHeaderExpected(0, WireType.LengthPrefixed);
            writer.WriteVarUInt32((uint)utf8.Length);
            writer.Write(utf8);
        }

        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public JsonElement ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        field.EnsureWireTypeTagDelimited();
        ReferenceCodec.MarkValueField(reader.Session);
        var element = default(JsonElement);
        var inner = default(Field);
        FieldHeaderCodec.ReadFieldHeader(ref reader, ref inner);
        if (inner.IsEndBaseOrEndObject)
        {
            return element;
        }

        if (inner.FieldIdDelta == 0)
        {
            // One parse into a document the element owns, rather than a pooled document then a clone of it: every
            // observation a goal receives, and every state it reads, passes here.
            if (inner.WireType == WireType.LengthPrefixed)
            {
                // The bytes as ByteArrayCodec would read them, but parsed where they lie when the buffer holds them in one
                // piece, not first copied into an array of their own. Counted as a value field, as the writer counted them.
                var length = reader.ReadVarUInt32();
                ReferenceCodec.MarkValueField(reader.Session);
                element = reader.TryReadBytes((int)length, out var utf8)
                    ? JsonElement.Parse(utf8)
                    : JsonElement.Parse(reader.ReadBytes(length));
            }
            else if (ByteArrayCodec.ReadValue(ref reader, inner) is { } utf8)
            {
                // A null (an undefined element) or a reference.
                element = JsonElement.Parse(utf8);
            }

            FieldHeaderCodec.ReadFieldHeader(ref reader, ref inner);
        }

        OrleansGeneratedCodeHelper.ConsumeEndBaseOrEndObject(ref reader, ref inner);
        return element;
    }
}

/// <summary>
/// Copies a <see cref="JsonElement"/> for a call within a silo: the element itself when its document is not pooled
/// (<see cref="JsonElement.Clone"/> returns it unchanged then), a copy when the document could be disposed under it.
/// </summary>
[RegisterCopier]
public sealed class JsonElementCopier : IDeepCopier<JsonElement>
{
    /// <inheritdoc />
    public JsonElement DeepCopy(JsonElement input, CopyContext context) =>
        input.ValueKind == JsonValueKind.Undefined ? default : input.Clone();
}
