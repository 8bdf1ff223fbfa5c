using System.Buffers;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mdl.Silo.Security;

/// <summary>
/// Authenticates a request by API key (<c>Authorization: ApiKey &lt;key&gt;</c>, <c>X-Api-Key</c>, or HTTP Basic with the
/// key as the password, so a browser can open the dashboard) or, when it carries <c>X-Mdl-Webhook</c>, by the webhook's
/// HMAC-SHA256 signature over <c>"&lt;timestamp&gt;.&lt;raw body&gt;"</c>.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, MdlCredentials credentials)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The authentication scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The claim that says how the caller authenticated: <c>api-key</c> or <c>webhook</c>.</summary>
    public const string CredentialClaim = "mdl.credential";

    private const string SignaturePrefix = "sha256=";

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers.TryGetValue(WebhookHeaders.Name, out var webhook))
        {
            return await AuthenticateWebhookAsync(webhook.ToString());
        }

        var (key, problem) = ReadKey();
        if (problem is not null)
        {
            return AuthenticateResult.Fail(problem);
        }

        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (credentials.FindKey(key) is not { } found)
        {
            return AuthenticateResult.Fail("the API key is not recognised");
        }

        return Success(found.Name, "api-key", found.Scopes);
    }

    /// <summary>The presented key, or a problem with how it was presented; (null, null) when there is none.</summary>
    private (string? Key, string? Problem) ReadKey()
    {
        if (Request.Headers.TryGetValue("X-Api-Key", out var header))
        {
            return string.IsNullOrWhiteSpace(header) ? (null, "X-Api-Key is empty") : (header.ToString().Trim(), null);
        }

        var authorization = Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return (null, null);
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? authorization : authorization[..space];
        var value = space < 0 ? "" : authorization[(space + 1)..].Trim();
        if (scheme.Equals(SchemeName, StringComparison.OrdinalIgnoreCase))
        {
            return value.Length == 0 ? (null, "the Authorization header has no key after 'ApiKey'") : (value, null);
        }

        if (scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            // Browsers can only send keys this way: the user name is ignored, the password is the key.
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                var key = colon < 0 ? decoded : decoded[(colon + 1)..];
                return key.Length == 0 ? (null, "Basic credentials carry no key in the password") : (key, null);
            }
            catch (FormatException)
            {
                return (null, "Basic credentials are not valid base64");
            }
        }

        return (null, $"the Authorization scheme '{scheme}' is not accepted; send 'Authorization: ApiKey <key>' or 'X-Api-Key: <key>'");
    }

    private async Task<AuthenticateResult> AuthenticateWebhookAsync(string name)
    {
        if (credentials.WebhookSecret(name) is not { } secret)
        {
            return AuthenticateResult.Fail($"{WebhookHeaders.Name} names no configured webhook source ('{Truncate(name)}')");
        }

        var timestamp = Request.Headers[WebhookHeaders.Timestamp].ToString();
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return AuthenticateResult.Fail($"{WebhookHeaders.Timestamp} must be the Unix time in seconds");
        }

        // The timestamp is signed, so a captured request cannot be replayed once it is outside the window.
        var skew = TimeProvider.GetUtcNow().ToUnixTimeSeconds() - seconds;
        if (Math.Abs(skew) > credentials.ReplayWindow.TotalSeconds)
        {
            return AuthenticateResult.Fail(
                $"{WebhookHeaders.Timestamp} is {Math.Abs(skew)} s {(skew > 0 ? "old" : "in the future")}; the replay window is ±{credentials.ReplayWindow.TotalSeconds:0} s");
        }

        var signature = Request.Headers[WebhookHeaders.Signature].ToString();
        if (!signature.StartsWith(SignaturePrefix, StringComparison.OrdinalIgnoreCase)
            || signature.Length != SignaturePrefix.Length + (HMACSHA256.HashSizeInBytes * 2)
            || !signature[SignaturePrefix.Length..].All(Uri.IsHexDigit))
        {
            return AuthenticateResult.Fail($"{WebhookHeaders.Signature} must be 'sha256=' and 64 hex digits of HMAC-SHA256 over \"<timestamp>.<body>\"");
        }

        var expected = await SignAsync(secret, timestamp);
        var presented = Convert.FromHexString(signature.AsSpan(SignaturePrefix.Length));
        return CryptographicOperations.FixedTimeEquals(expected, presented)
            ? Success(name, "webhook", new HashSet<string> { ApiScopes.Observe })
            : AuthenticateResult.Fail($"{WebhookHeaders.Signature} does not match the timestamp and body signed with the secret of webhook '{name}'");
    }

    /// <summary>HMAC-SHA256 over <c>"&lt;timestamp&gt;."</c> and the raw body, which is rewound for the endpoint to parse.</summary>
    private async Task<byte[]> SignAsync(byte[] secret, string timestamp)
    {
        // Reading stops at the server's body limit (413); the buffered body is what the endpoint parses afterwards.
        Request.EnableBuffering();
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(Encoding.ASCII.GetBytes(timestamp + "."));
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await Request.Body.ReadAsync(buffer, Context.RequestAborted)) > 0)
            {
                hmac.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Request.Body.Position = 0;
        return hmac.GetHashAndReset();
    }

    private AuthenticateResult Success(string name, string credential, IReadOnlySet<string> scopes)
    {
        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ApiScopes.ClaimType);
        identity.AddClaim(new Claim(ClaimTypes.Name, name));
        identity.AddClaim(new Claim(CredentialClaim, credential));
        foreach (var scope in scopes)
        {
            identity.AddClaim(new Claim(ApiScopes.ClaimType, scope));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}

/// <summary>The headers of a signed webhook request.</summary>
public static class WebhookHeaders
{
    /// <summary>The webhook source's configured name.</summary>
    public const string Name = "X-Mdl-Webhook";

    /// <summary>Unix time in seconds when the request was signed.</summary>
    public const string Timestamp = "X-Mdl-Timestamp";

    /// <summary><c>sha256=</c> and the hex HMAC-SHA256 of <c>"&lt;timestamp&gt;.&lt;raw body&gt;"</c> under the source's secret.</summary>
    public const string Signature = "X-Mdl-Signature";
}
