namespace Mdl.Silo.Security;

/// <summary>One API key (<c>Mdl:ApiKeys:n</c>). Only the key's hash is configured; the key itself stays with its holder.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who holds the key; shown in logs and in 403 answers, never secret.</summary>
    public string Name { get; set; } = "";

    /// <summary>The SHA-256 of the key's UTF-8 bytes as 64 hex digits (<c>--hash-api-key</c> prints it).</summary>
    public string Hash { get; set; } = "";

    /// <summary><c>read</c>, <c>write</c>, <c>admin</c>; an entry may also list several separated by commas or spaces.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The scopes, split and trimmed.</summary>
    public IReadOnlySet<string> ScopeSet() => Scopes
        .SelectMany(s => (s ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        .Select(s => s.ToLowerInvariant())
        .ToHashSet(StringComparer.Ordinal);
}

/// <summary>One signed webhook source (<c>Mdl:Webhooks:n</c>): a name senders put in <c>X-Mdl-Webhook</c> and its HMAC secret.</summary>
public sealed class WebhookOptions
{
    /// <summary>The shortest secret accepted: an HMAC is only as strong as its key.</summary>
    public const int MinSecretLength = 16;

    /// <summary>The source's name, sent in <c>X-Mdl-Webhook</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The shared secret the sender signs with (HMAC-SHA256 key, as UTF-8).</summary>
    public string Secret { get; set; } = "";
}
