using System.Text.Encodings.Web;
using System.Text.Json;

namespace Mdl.Audit;

/// <summary>
/// Masks the fields a goal definition marks sensitive (<c>sensitive: ["data.email"]</c>) before they reach the audit
/// log or a log line. Pure: no Orleans, no I/O.
/// </summary>
/// <remarks>
/// A path is property names joined by dots, read from the value given: <c>data.email</c> in an observation,
/// <c>trigger.data.email</c> in a decision record. An array met along the way is looked through: the rest of the path
/// applies to every element (and to the elements of arrays inside it), so <c>data.contacts.email</c> masks the
/// e-mail of every contact. Names match case-insensitively: whoever writes <c>Email</c> instead of <c>email</c>
/// must not get it logged in clear, and masking one field too many costs nothing. Whatever value sits at a path —
/// string, number, object, array — becomes <see cref="Masked"/>; a path that leads nowhere changes nothing.
/// </remarks>
public static class SensitiveMask
{
    /// <summary>What replaces a sensitive value.</summary>
    public const string Masked = "***";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The same relaxed escaping as the product's JSON, so masked data reads the same in logs and the API.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// <paramref name="value"/> with the value at every path in <paramref name="paths"/> replaced by
    /// <see cref="Masked"/>. Returns <paramref name="value"/> itself when there are no paths.
    /// Throws <see cref="ArgumentException"/> for a path <see cref="PathProblem"/> refuses.
    /// </summary>
    public static JsonElement Mask(JsonElement value, IReadOnlyCollection<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0 || value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
        {
            return value;
        }

        var split = new List<string[]>(paths.Count);
        foreach (var path in paths)
        {
            if (PathProblem(path) is { } problem)
            {
                throw new ArgumentException($"sensitive path '{path}' {problem}", nameof(paths));
            }

            split.Add(path.Split('.'));
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, value, split.Select(s => new ArraySegment<string>(s)).ToList());
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>Why <paramref name="path"/> is not a usable sensitive path, or null when it is (for definition validation).</summary>
    public static string? PathProblem(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "must not be empty";
        }

        return path.Split('.').Any(string.IsNullOrWhiteSpace)
            ? "must be property names joined by single dots, e.g. data.email"
            : null;
    }

    /// <summary>Writes <paramref name="value"/> with <paramref name="paths"/> (the parts of each path still to walk) masked.</summary>
    private static void Write(Utf8JsonWriter writer, JsonElement value, List<ArraySegment<string>> paths)
    {
        if (paths.Count == 0)
        {
            value.WriteTo(writer);
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    var matching = paths.Where(p => string.Equals(p[0], property.Name, StringComparison.OrdinalIgnoreCase)).ToList();
                    if (matching.Any(p => p.Count == 1))
                    {
                        writer.WriteStringValue(Masked);
                    }
                    else
                    {
                        Write(writer, property.Value, matching.Select(p => p[1..]).ToList());
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                // Arrays are looked through: the same remaining paths apply to each element.
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    Write(writer, item, paths);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
