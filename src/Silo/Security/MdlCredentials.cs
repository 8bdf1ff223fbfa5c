using System.Security.Cryptography;
using System.Text;
using Mdl.Silo.Hosting;

namespace Mdl.Silo.Security;

/// <summary>The configured API keys (as hash bytes) and webhook secrets, looked up without leaking timing about their contents.</summary>
internal sealed class MdlCredentials
{
    private readonly (string Name, byte[] Hash, IReadOnlySet<string> Scopes)[] _keys;
    private readonly Dictionary<string, byte[]> _webhooks;

    public MdlCredentials(MdlSiloOptions options)
    {
        _keys = [.. options.ApiKeys.Select(k => (k.Name, ApiKeyHash.Bytes(k.Hash), k.ScopeSet()))];
        _webhooks = options.Webhooks.ToDictionary(w => w.Name, w => Encoding.UTF8.GetBytes(w.Secret), StringComparer.OrdinalIgnoreCase);
        ReplayWindow = TimeSpan.FromSeconds(options.WebhookReplayWindowSeconds);
        IsOpen = options.IsOpen;
    }

    /// <summary>No API key is configured: requests without credentials are let through (embedded mode on loopback only).</summary>
    public bool IsOpen { get; }

    /// <summary>How far a webhook's timestamp may be from the silo's clock.</summary>
    public TimeSpan ReplayWindow { get; }

    /// <summary>The key whose hash matches <paramref name="key"/>, or null.</summary>
    public (string Name, IReadOnlySet<string> Scopes)? FindKey(string key)
    {
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), presented);

        // Every configured hash is compared, in constant time, and the loop never stops early: how long this takes says
        // nothing about which key, or how much of one, matched.
        var found = -1;
        for (var i = 0; i < _keys.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, _keys[i].Hash))
            {
                found = i;
            }
        }

        return found < 0 ? null : (_keys[found].Name, _keys[found].Scopes);
    }

    /// <summary>The secret of the webhook source <paramref name="name"/>, or null when there is no such source.</summary>
    public byte[]? WebhookSecret(string name) => _webhooks.GetValueOrDefault(name);
}
