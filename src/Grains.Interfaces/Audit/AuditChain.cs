using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Mdl.Audit;

/// <summary>
/// The hash chain of a goal's audit log: how an entry is turned into canonical bytes, how it is hashed onto the one
/// before, and how a chain is checked. Pure: no Orleans, no I/O, so the silo (which appends) and the SDK (which
/// verifies what it read) compute exactly the same thing.
/// </summary>
/// <remarks>
/// <para>
/// <c>hash = lowercase hex SHA-256( UTF-8(prevHash) ‖ UTF-8(canonical content) )</c>, where the first entry's
/// <c>prevHash</c> is <see cref="GenesisHash"/> and the canonical content is the canonical JSON object
/// <c>{"data":…,"goalId":…,"kind":…,"seq":…,"time":…}</c>. The previous hash is always 64 characters, so the
/// concatenation is unambiguous; the content is JSON, so no field can bleed into the next.
/// </para>
/// <para>
/// Canonical JSON (close to RFC 8785): no whitespace; object members sorted by name (ordinal, UTF-16 code units) and
/// a repeated name kept once, last one winning; strings with only <c>"</c>, <c>\</c> and control characters escaped;
/// numbers reduced to one spelling of their exact decimal value (<c>1</c>, <c>1.0</c>, <c>10e-1</c> are all
/// <c>1</c>; no rounding through <see cref="double"/>). So the hash depends on what the data says, not on how its
/// JSON happened to be formatted or which database column type stored it.
/// </para>
/// <para>
/// Time is hashed as UTC in the fixed format <see cref="TimeFormat"/> (100 ns precision, what
/// <see cref="DateTimeOffset"/> holds), so an entry's hash does not depend on the offset it was created with.
/// </para>
/// </remarks>
public static class AuditChain
{
    /// <summary>The previous hash of a chain's first entry: 64 zeros.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The fixed, UTC, 100-ns format in which an entry's time is hashed (and stored).</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    // Beyond this a number's exponent is kept as written rather than normalised: exact arithmetic on it could overflow.
    private const long MaxNormalisedExponent = 1_000_000_000_000;

    /// <summary>
    /// Builds the entry that follows <paramref name="prevHash"/> as number <paramref name="seq"/> of
    /// <paramref name="goalId"/>'s chain: its data in canonical form and its hash computed.
    /// </summary>
    public static AuditEntry Seal(string goalId, long seq, DateTimeOffset time, string kind, JsonElement data, string prevHash)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goalId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seq);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        RequireHash(prevHash, nameof(prevHash));

        // The stored data is the canonical text itself, so what is read back is byte for byte what was hashed.
        using var canonical = JsonDocument.Parse(CanonicalJson(data));
        var entry = new AuditEntry
        {
            GoalId = goalId,
            Seq = seq,
            Time = time.ToUniversalTime(),
            Kind = kind,
            Data = canonical.RootElement.Clone(),
            PrevHash = prevHash,
        };
        return entry with { Hash = Hash(prevHash, entry) };
    }

    /// <summary>
    /// The hash <paramref name="entry"/> should carry when it follows an entry hashed <paramref name="prevHash"/>:
    /// lowercase hex SHA-256 over the previous hash and the entry's canonical content. The entry's own
    /// <see cref="AuditEntry.PrevHash"/> and <see cref="AuditEntry.Hash"/> are not read.
    /// </summary>
    public static string Hash(string prevHash, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(prevHash);
        ArgumentNullException.ThrowIfNull(entry);
        var prefix = Encoding.UTF8.GetBytes(prevHash);
        var content = CanonicalContent(entry);
        var bytes = new byte[prefix.Length + content.Length];
        prefix.CopyTo(bytes, 0);
        content.CopyTo(bytes, prefix.Length);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>
    /// The canonical bytes of an entry (UTF-8): <c>{"data":…,"goalId":…,"kind":…,"seq":…,"time":…}</c> with the
    /// data in canonical JSON and the time in <see cref="TimeFormat"/>.
    /// </summary>
    public static byte[] CanonicalContent(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = new StringBuilder(128);
        text.Append("{\"data\":");
        WriteCanonical(text, entry.Data);
        text.Append(",\"goalId\":");
        WriteString(text, entry.GoalId);
        text.Append(",\"kind\":");
        WriteString(text, entry.Kind);
        text.Append(",\"seq\":").Append(entry.Seq.ToString(CultureInfo.InvariantCulture));
        text.Append(",\"time\":");
        WriteString(text, FormatTime(entry.Time));
        text.Append('}');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// <paramref name="value"/> as canonical JSON: sorted member names, no whitespace, one spelling per number and
    /// string. An undefined element (<c>default(JsonElement)</c>) is <c>null</c>.
    /// </summary>
    public static string CanonicalJson(JsonElement value)
    {
        var text = new StringBuilder();
        WriteCanonical(text, value);
        return text.ToString();
    }

    /// <summary><paramref name="time"/> in UTC in <see cref="TimeFormat"/>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Reads a time written by <see cref="FormatTime"/>; the result has offset zero.</summary>
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>
    /// Checks a goal's chain, given oldest first from entry #1: each entry must be numbered one more than the one
    /// before, record the previous entry's hash (<see cref="GenesisHash"/> for #1), and carry the hash of its own
    /// content. Returns the first place it breaks, or null when it is intact.
    /// </summary>
    /// <remarks>
    /// A chain only vouches for what it holds: entries cut off its end leave a shorter chain that is still intact.
    /// Catching that needs the last hash kept somewhere else (see <see cref="AuditChainVerifier.Head"/>).
    /// </remarks>
    public static AuditBreak? Verify(IEnumerable<AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var verifier = new AuditChainVerifier();
        foreach (var entry in entries)
        {
            if (!verifier.Add(entry))
            {
                break;
            }
        }

        return verifier.Break;
    }

    /// <summary>A short form of a hash for messages.</summary>
    internal static string Short(string hash) => hash.Length > 12 ? hash[..12] + "..." : hash;

    private static void RequireHash(string hash, string parameter)
    {
        ArgumentNullException.ThrowIfNull(hash, parameter);
        if (hash.Length != 64 || !hash.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            throw new ArgumentException($"{parameter} must be 64 lowercase hex digits, not '{hash}'", parameter);
        }
    }

    private static void WriteCanonical(StringBuilder text, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                // Last one wins for a repeated name, as JsonElement's own look-up and PostgreSQL's jsonb do.
                var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in value.EnumerateObject())
                {
                    members[NameOf(property)] = property.Value;
                }

                text.Append('{');
                var first = true;
                foreach (var name in members.Keys.Order(StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        text.Append(',');
                    }

                    first = false;
                    WriteString(text, name);
                    text.Append(':');
                    WriteCanonical(text, members[name]);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (index++ > 0)
                    {
                        text.Append(',');
                    }

                    WriteCanonical(text, item);
                }

                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(text, StringOf(value));
                break;
            case JsonValueKind.Number:
                WriteNumber(text, value.GetRawText());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            default:
                text.Append("null");
                break;
        }
    }

    // JsonElement refuses to decode a lone surrogate (\ud800), which JSON allows; such text is decoded here instead.
    private static string StringOf(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Unescape(value.GetRawText());
        }
    }

    private static string NameOf(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            // The name as written, escapes and all, without its quotes.
            return Unescape($"\"{Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8PropertyName(property))}\"");
        }
    }

    /// <summary>Decodes a JSON string literal (quotes included) that JsonElement already validated, lone surrogates and all.</summary>
    private static string Unescape(string literal)
    {
        var text = new StringBuilder(literal.Length);
        for (var i = 1; i < literal.Length - 1; i++)
        {
            var c = literal[i];
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            c = literal[++i];
            switch (c)
            {
                case 'b':
                    text.Append('\b');
                    break;
                case 'f':
                    text.Append('\f');
                    break;
                case 'n':
                    text.Append('\n');
                    break;
                case 'r':
                    text.Append('\r');
                    break;
                case 't':
                    text.Append('\t');
                    break;
                case 'u':
                    text.Append((char)int.Parse(literal.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default:
                    // \" \\ and \/ stand for themselves.
                    text.Append(c);
                    break;
            }
        }

        return text.ToString();
    }

    // RFC 8785's string form: escape only what JSON requires, with the short escapes where they exist; a lone
    // surrogate (which has no UTF-8 form) is kept as its \u escape rather than silently replaced.
    private static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\b':
                    text.Append("\\b");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case < ' ':
                    Escape(text, c);
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        text.Append(c).Append(value[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        Escape(text, c);
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }

    private static void Escape(StringBuilder text, char c) =>
        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));

    /// <summary>
    /// Writes a JSON number literal as one spelling of its exact decimal value: ECMAScript's number-to-string layout
    /// (plain up to 21 integer digits, <c>0.000001</c> down to six leading zeros, exponent form beyond), applied to
    /// the literal's digits rather than to a <see cref="double"/>, so no digit is ever lost.
    /// </summary>
    private static void WriteNumber(StringBuilder text, string literal)
    {
        var i = 0;
        var negative = literal[0] == '-';
        if (negative)
        {
            i++;
        }

        var integerStart = i;
        while (i < literal.Length && char.IsAsciiDigit(literal[i]))
        {
            i++;
        }

        var integer = literal[integerStart..i];
        var fraction = "";
        if (i < literal.Length && literal[i] == '.')
        {
            var fractionStart = ++i;
            while (i < literal.Length && char.IsAsciiDigit(literal[i]))
            {
                i++;
            }

            fraction = literal[fractionStart..i];
        }

        long exponent = 0;
        if (i < literal.Length && (literal[i] == 'e' || literal[i] == 'E'))
        {
            if (!long.TryParse(literal.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)
                || Math.Abs(exponent) > MaxNormalisedExponent)
            {
                // Absurd exponents (JsonElement accepts them) are left as written: still deterministic for one literal.
                text.Append(literal);
                return;
            }
        }

        // value = digits × 10^exponent, with no leading or trailing zeros in digits.
        var digits = (integer + fraction).TrimStart('0');
        exponent -= fraction.Length;
        var trimmed = digits.TrimEnd('0');
        exponent += digits.Length - trimmed.Length;
        digits = trimmed;
        if (digits.Length == 0)
        {
            text.Append('0');
            return;
        }

        if (negative)
        {
            text.Append('-');
        }

        long k = digits.Length;
        var n = k + exponent;
        if (k <= n && n <= 21)
        {
            text.Append(digits).Append('0', (int)(n - k));
        }
        else if (0 < n && n <= 21)
        {
            text.Append(digits.AsSpan(0, (int)n)).Append('.').Append(digits.AsSpan((int)n));
        }
        else if (-6 < n && n <= 0)
        {
            text.Append("0.").Append('0', (int)-n).Append(digits);
        }
        else
        {
            text.Append(digits[0]);
            if (k > 1)
            {
                text.Append('.').Append(digits.AsSpan(1));
            }

            var e = n - 1;
            text.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }
    }
}
