using System.Collections;

namespace Mdl.Goals;

/// <summary>
/// A small map of metric → value, in one array of entries in insertion order: what a pending action keeps for its
/// expected effects and baselines. These hold one or two metrics, for which a <see cref="Dictionary{TKey,TValue}"/> (its
/// buckets and entry arrays sized for growth) costs about 210 bytes against 64 here, twice per action, for every action a
/// goal has pending. Lookups scan the entries, which at this size is as fast as hashing.
/// </summary>
[GenerateSerializer, Alias("mdl.MetricValues")]
public sealed class MetricValues : IEnumerable<KeyValuePair<string, double>>
{
    [Id(0)] private KeyValuePair<string, double>[] _entries = [];

    /// <summary>An empty map.</summary>
    public MetricValues()
    {
    }

    /// <summary>A map holding <paramref name="values"/>.</summary>
    public MetricValues(IEnumerable<KeyValuePair<string, double>> values) => _entries = [.. values];

    /// <summary>How many metrics are held.</summary>
    public int Count => _entries.Length;

    /// <summary>The metrics held, in the order they were added.</summary>
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    /// <summary>The value of <paramref name="metric"/>; setting adds it or replaces its value.</summary>
    /// <exception cref="KeyNotFoundException">Getting a metric that is not held.</exception>
    public double this[string metric]
    {
        get => IndexOf(metric) is var i and >= 0 ? _entries[i].Value : throw new KeyNotFoundException($"metric '{metric}' is not held");
        set
        {
            var i = IndexOf(metric);
            if (i < 0)
            {
                // Grows by one: these maps are filled once, when the action is decided, and then only shrink.
                i = _entries.Length;
                Array.Resize(ref _entries, i + 1);
            }

            _entries[i] = new KeyValuePair<string, double>(metric, value);
        }
    }

    /// <summary>Whether <paramref name="metric"/> is held.</summary>
    public bool ContainsKey(string metric) => IndexOf(metric) >= 0;

    /// <summary>The value of <paramref name="metric"/>, if held.</summary>
    public bool TryGetValue(string metric, out double value)
    {
        var i = IndexOf(metric);
        value = i >= 0 ? _entries[i].Value : default;
        return i >= 0;
    }

    /// <summary>Removes <paramref name="metric"/>; false if it was not held.</summary>
    public bool Remove(string metric)
    {
        var i = IndexOf(metric);
        if (i < 0)
        {
            return false;
        }

        _entries = _entries.Length == 1 ? [] : [.. _entries[..i], .. _entries[(i + 1)..]];
        return true;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, double>>)_entries).GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string metric)
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            if (string.Equals(_entries[i].Key, metric, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
