using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;

namespace Mdl.Goals;

/// <summary>
/// Lets goals defined from the same document share one copy of what their definitions have in common. A definition is
/// immutable, so its parts (objectives, metric mappings, topics, allowed functions, budget, policy, texts) can be shared:
/// each is interned by the SHA-256 of its JSON, and goals whose parts are equal hold the same instances. Only what differs
/// per goal (typically <see cref="GoalDefinition.Context"/>, such as the user id) stays the goal's own.
/// </summary>
/// <remarks>
/// Entries are weak: a part lives as long as a goal holds it, and entries whose part is gone are swept as the table grows,
/// so a silo that has seen many distinct definitions keeps only the ones its goals still use.
/// </remarks>
public static class SharedDefinitions
{
    private static readonly ConcurrentDictionary<(Type Type, UInt128 Hash), WeakReference<object>> Parts = new();
    private static readonly Lock Sweeping = new();
    private static int _sweepAt = 1024;

    /// <summary>The shared form of <paramref name="definition"/>: equal in content, its parts shared with other goals'.</summary>
    public static GoalDefinition Intern(GoalDefinition definition) => definition with
    {
        Kind = Share(definition.Kind),
        Description = Share(definition.Description),
        Objectives = Share(definition.Objectives),
        Metrics = Share(definition.Metrics),
        Topics = Share(definition.Topics),
        AllowedFunctions = Share(definition.AllowedFunctions),
        Budget = Share(definition.Budget),
        Policy = Share(definition.Policy),
        EffectHorizon = Share(definition.EffectHorizon),
        Grants = Share(definition.Grants),
        Sensitive = Share(definition.Sensitive),
    };

    /// <summary>How many parts the table tracks (live or not yet swept); for tests.</summary>
    public static int Count => Parts.Count;

    private static T Share<T>(T value)
        where T : class? =>
        value is null ? value : (T)Share(typeof(T), value);

    private static object Share(Type type, object value)
    {
        var key = (type, Hash(type, value));
        while (true)
        {
            var entry = Parts.GetOrAdd(key, static (_, v) => new WeakReference<object>(v), value);
            if (entry.TryGetTarget(out var shared))
            {
                if (ReferenceEquals(shared, value))
                {
                    SweepIfGrown();
                }

                return shared;
            }

            // The part it pointed to is gone: this value takes the entry over (or another caller's did meanwhile).
            if (Parts.TryUpdate(key, new WeakReference<object>(value), entry))
            {
                return value;
            }
        }
    }

    private static UInt128 Hash(Type type, object value)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, type, MdlJson.Options), digest);
        return new UInt128(BitConverter.ToUInt64(digest), BitConverter.ToUInt64(digest[8..]));
    }

    private static void SweepIfGrown()
    {
        if (Parts.Count < Volatile.Read(ref _sweepAt))
        {
            return;
        }

        lock (Sweeping)
        {
            if (Parts.Count < _sweepAt)
            {
                return;
            }

            foreach (var (key, entry) in Parts)
            {
                if (!entry.TryGetTarget(out _))
                {
                    Parts.TryRemove(new KeyValuePair<(Type, UInt128), WeakReference<object>>(key, entry));
                }
            }

            _sweepAt = Math.Max(1024, Parts.Count * 2);
        }
    }
}
