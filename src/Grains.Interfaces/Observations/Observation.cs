using System.Text.Json;

namespace Mdl.Observations;

/// <summary>One event a goal observes: a DB change, a webhook, a metric sample, or the result of its own action.</summary>
/// <remarks>
/// <see cref="Id"/> is the dedupe key: a goal processes an observation id at most once within its dedupe window,
/// so a producer may resend (at-least-once in) without double counting (exactly-once processed).
/// </remarks>
[GenerateSerializer, Immutable, Alias("mdl.Observation")]
public sealed record Observation
{
    /// <summary>Creates an empty observation; used by serializers.</summary>
    public Observation()
    {
    }

    /// <summary>Creates an observation with a fresh id and the current time; <paramref name="data"/> is any JSON-serializable object.</summary>
    public Observation(string kind, object? data = null, string? source = null)
    {
        Id = NewId();
        Kind = kind;
        Source = source;
        Time = DateTimeOffset.UtcNow;
        Data = data switch
        {
            null => EmptyData,
            JsonElement element => element,
            _ => JsonSerializer.SerializeToElement(data, MdlJson.Options),
        };
    }

    /// <summary>The dedupe key. Filled in at ingress when absent.</summary>
    [Id(0)] public string Id { get; init; } = "";

    /// <summary>What happened, e.g. <c>user.activity</c>, <c>price.tick</c>, <c>action.result</c>.</summary>
    [Id(1)] public string Kind { get; init; } = "";

    /// <summary>Who reported it (an app, a webhook, a goal's own action).</summary>
    [Id(2)] public string? Source { get; init; }

    /// <summary>When it happened. Filled in at ingress when absent.</summary>
    [Id(3)] public DateTimeOffset Time { get; init; }

    /// <summary>The payload: a JSON object.</summary>
    [Id(4)] public JsonElement Data { get; init; } = EmptyData;

    /// <summary>An empty JSON object.</summary>
    public static JsonElement EmptyData { get; } = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>A new, time-ordered observation id.</summary>
    public static string NewId() => Guid.CreateVersion7().ToString("n");

    /// <summary>Returns this observation with its id, time and data filled in where absent.</summary>
    public Observation WithDefaults(DateTimeOffset now)
    {
        var missingId = string.IsNullOrEmpty(Id);
        var missingTime = Time == default;
        var missingData = Data.ValueKind == JsonValueKind.Undefined;
        if (!missingId && !missingTime && !missingData)
        {
            return this;
        }

        return this with
        {
            Id = missingId ? NewId() : Id,
            Time = missingTime ? now : Time,
            Data = missingData ? EmptyData : Data,
        };
    }
}
