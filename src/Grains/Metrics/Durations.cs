using System.Globalization;
using System.Xml;

namespace Mdl.Metrics;

/// <summary>ISO-8601 durations (<c>P1D</c>, <c>PT5M</c>, <c>PT0.5S</c>) as used by metric windows and effect horizons.</summary>
public static class Durations
{
    /// <summary>Parses <paramref name="text"/>; false when it is not a positive ISO-8601 duration.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text) || text[0] != 'P')
        {
            return false;
        }

        // ISO-8601's week form (P2W) stands alone; xs:duration, which XmlConvert reads, lacks it.
        if (text.Length > 2 && text[^1] == 'W' && int.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var weeks))
        {
            duration = TimeSpan.FromDays(7.0 * weeks);
            return duration > TimeSpan.Zero;
        }

        try
        {
            // XmlConvert implements the xs:duration lexical form, which is ISO-8601's other forms.
            duration = XmlConvert.ToTimeSpan(text);
            return duration > TimeSpan.Zero;
        }
        catch (FormatException)
        {
            return false;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    // The texts last parsed on this thread and what they gave, a few at a time. A goal reads its metrics' windows several
    // times per observation (aggregate, trim, next expiry), always the same strings of its definition and the spend
    // window, and each parse went through XmlConvert; the same string instance is the same duration.
    private const int Remembered = 4;

    [ThreadStatic]
    private static (string? Text, bool Parsed, TimeSpan Duration)[]? t_recent;

    [ThreadStatic]
    private static int t_next;

    /// <summary>
    /// <see cref="TryParse"/>, remembering the last few texts parsed on this thread: for definition strings read again and
    /// again (a metric's window).
    /// </summary>
    public static bool TryParseCached(string? text, out TimeSpan duration)
    {
        if (text is null)
        {
            duration = default;
            return false;
        }

        var recent = t_recent ??= new (string?, bool, TimeSpan)[Remembered];
        foreach (var (known, parsed, value) in recent)
        {
            if (ReferenceEquals(known, text))
            {
                duration = value;
                return parsed;
            }
        }

        var ok = TryParse(text, out duration);
        recent[t_next] = (text, ok, duration);
        t_next = (t_next + 1) % Remembered;
        return ok;
    }

    /// <summary>Parses <paramref name="text"/>, or returns <paramref name="fallback"/> when it is absent or invalid.</summary>
    public static TimeSpan ParseOr(string? text, TimeSpan fallback) => TryParse(text, out var d) ? d : fallback;
}
