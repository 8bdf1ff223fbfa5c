using System.Runtime.InteropServices;
using System.Text.Json;

namespace Mdl;

/// <summary>How a <see cref="JsonElement"/> crosses the wire between silos and clients: as its UTF-8 text.</summary>
[GenerateSerializer, Immutable, Alias("mdl.JsonElement")]
public struct JsonElementSurrogate
{
    /// <summary>The element's raw JSON, or null for an undefined element.</summary>
    [Id(0)] public byte[]? Utf8;
}

/// <summary>Lets Orleans serialize observation payloads and function arguments, which are free-form JSON.</summary>
[RegisterConverter]
public sealed class JsonElementSurrogateConverter : IConverter<JsonElement, JsonElementSurrogate>
{
    /// <inheritdoc />
    public JsonElement ConvertFromSurrogate(in JsonElementSurrogate surrogate)
    {
        if (surrogate.Utf8 is null)
        {
            return default;
        }

        // One parse into a document the element owns, rather than a pooled document then a clone of it: every observation
        // a goal receives, and every state it reads, passes here.
        return JsonElement.Parse(surrogate.Utf8);
    }

    /// <inheritdoc />
    public JsonElementSurrogate ConvertToSurrogate(in JsonElement value) =>
        // The element's own UTF-8 text, copied as it is: every state write and grain call carrying JSON passes here, and
        // re-encoding it through a JSON writer cost more than the rest of the value's serialisation.
        new() { Utf8 = value.ValueKind == JsonValueKind.Undefined ? null : JsonMarshal.GetRawUtf8Value(value).ToArray() };
}
