using System.Text.Json;
using Mdl.Goals;
using Mdl.Observations;

namespace Mdl.Silo.Ingress;

/// <summary>Reads the body of an observations request: one observation or an array, every bad field named.</summary>
internal static class ObservationBody
{
    /// <summary>The most observations one request may carry unless configured (<c>Mdl:Limits:MaxObservationsPerRequest</c>).</summary>
    public const int MaxPerRequest = 1000;

    /// <summary>Parses <paramref name="body"/> (at most <paramref name="maxPerRequest"/> observations); on failure returns null and field errors.</summary>
    public static (Observation[]? Observations, Dictionary<string, string[]> Errors) Parse(JsonElement body, int maxPerRequest = MaxPerRequest)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var (items, prefix) = body.ValueKind switch
        {
            JsonValueKind.Array => (body.EnumerateArray().ToArray(), true),
            JsonValueKind.Object => ([body], false),
            _ => (Array.Empty<JsonElement>(), false),
        };

        if (body.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
        {
            errors["body"] = ["must be an observation object or an array of them"];
            return (null, errors);
        }

        if (items.Length > maxPerRequest)
        {
            errors["body"] = [$"at most {maxPerRequest} observations per request, got {items.Length}"];
            return (null, errors);
        }

        if (items.Length == 0)
        {
            errors["body"] = ["is an empty array; send at least one observation"];
            return (null, errors);
        }

        var observations = new Observation[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var at = prefix ? $"[{i}]." : "";
            if (items[i].ValueKind != JsonValueKind.Object)
            {
                errors[prefix ? $"[{i}]" : "body"] = ["must be an observation object"];
                continue;
            }

            Observation? observation;
            try
            {
                observation = items[i].Deserialize<Observation>(MdlJson.Options);
            }
            catch (JsonException exception)
            {
                errors[at + FieldOf(exception.Path)] = [Describe(exception)];
                continue;
            }

            if (observation is null)
            {
                errors[prefix ? $"[{i}]" : "body"] = ["must be an observation object"];
                continue;
            }

            if (!GoalDefinitionValidator.IsName(observation.Kind))
            {
                errors[at + "kind"] = ["is required: 1–64 letters, digits, '.', '-' or '_' (e.g. user.activity)"];
            }

            if (observation.Id is { Length: > 128 })
            {
                errors[at + "id"] = ["must be at most 128 characters"];
            }

            if (observation.Source is { Length: > 128 })
            {
                errors[at + "source"] = ["must be at most 128 characters"];
            }

            if (observation.Data.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object))
            {
                errors[at + "data"] = ["must be a JSON object"];
            }

            observations[i] = observation;
        }

        return errors.Count > 0 ? (null, errors) : (observations, errors);
    }

    /// <summary>Turns a JSON path such as <c>$.objectives[0].target</c> into a field name (<c>objectives[0].target</c>).</summary>
    public static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>
    /// The field (as <see cref="FieldOf"/> names it, under <paramref name="path"/>) of the first number in
    /// <paramref name="element"/> that is no finite double, such as <c>1e400</c>; null when there is none.
    /// </summary>
    public static string? NonFiniteNumber(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return element.TryGetDouble(out var value) && double.IsFinite(value) ? null : path;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (NonFiniteNumber(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (NonFiniteNumber(item, $"{path}[{i++}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>A JSON error without .NET type names.</summary>
    public static string Describe(JsonException exception)
    {
        var message = exception.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "has the wrong type";
        }

        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "is not a known field";
        }

        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("nullability", StringComparison.Ordinal))
        {
            return "must not be null";
        }

        return message;
    }
}
