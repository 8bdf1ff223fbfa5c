using System.Security.Cryptography;
using System.Text;

namespace Mdl.Silo.Security;

/// <summary>
/// How API keys are stored: the SHA-256 of the key, as hex. A fast unsalted hash is enough because keys are long random
/// strings (<see cref="NewKey"/> makes 256-bit ones), so a stolen hash gives nothing to guess a key from; it would not be
/// enough for passwords people choose, which is why <c>--hash-api-key</c> refuses short keys.
/// </summary>
public static class ApiKeyHash
{
    /// <summary>Keys shorter than this are refused by <c>--hash-api-key</c>: they may not be random enough for an unsalted hash.</summary>
    public const int MinKeyLength = 32;

    /// <summary>The hash to configure for <paramref name="key"/>: 64 lowercase hex digits.</summary>
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new random key: 32 bytes from the OS's CSPRNG, base64url without padding (43 characters), prefixed <c>mdl_</c>.</summary>
    public static string NewKey() =>
        "mdl_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether <paramref name="hash"/> looks like a configured hash (64 hex digits).</summary>
    public static bool IsHash(string? hash) => hash is { Length: 64 } && hash.All(Uri.IsHexDigit);

    /// <summary>The raw 32 bytes of a configured hash.</summary>
    public static byte[] Bytes(string hash) => Convert.FromHexString(hash);
}
