using System.Numerics;

namespace Mdl.Goals;

/// <summary>
/// The dedupe window's index: a set of observation fingerprints (<see cref="ObservationFingerprint"/>) in one array,
/// open-addressed with linear probing. A busy silo's goals are rarely in the processor's cache when an observation
/// arrives, so each step of Observe's dedupe (is it known, forget the oldest, remember the new one) costs a memory load
/// or two. <see cref="HashSet{T}"/> keeps a bucket array and an entry array, and each step touched both; here a step
/// touches one slot and, usually, its neighbours on the same cache line. The fingerprints are XXH3 hashes already, so
/// their low bits place them.
/// </summary>
internal sealed class FingerprintSet
{
    // Zero marks a free slot; the fingerprint 0 (one chance in 2⁶⁴ per id) is kept aside rather than lost.
    private const ulong Free = 0;
    private const int SmallestCapacity = 8;

    private ulong[] _slots;
    private int _count; // fingerprints in the slots (0 not counted)
    private bool _hasZero;

    /// <summary>An empty set, sized for <paramref name="expected"/> fingerprints.</summary>
    public FingerprintSet(int expected = 0)
    {
        _slots = new ulong[CapacityFor(expected)];
    }

    /// <summary>How many fingerprints the set holds.</summary>
    public int Count => _count + (_hasZero ? 1 : 0);

    /// <summary>Slots allocated; at least twice <see cref="Count"/>, so probes stay short.</summary>
    internal int Capacity => _slots.Length;

    /// <summary>A set holding <paramref name="fingerprints"/>.</summary>
    public static FingerprintSet Of(IReadOnlyCollection<ulong> fingerprints)
    {
        var set = new FingerprintSet(fingerprints.Count);
        foreach (var fingerprint in fingerprints)
        {
            set.Add(fingerprint);
        }

        return set;
    }

    /// <summary>Whether <paramref name="fingerprint"/> is in the set.</summary>
    public bool Contains(ulong fingerprint) => fingerprint == Free ? _hasZero : Find(fingerprint, out _);

    /// <summary>Adds <paramref name="fingerprint"/>; false when it was there already.</summary>
    public bool Add(ulong fingerprint)
    {
        if (fingerprint == Free)
        {
            var added = !_hasZero;
            _hasZero = true;
            return added;
        }

        if (2 * (_count + 1) > _slots.Length)
        {
            Grow();
        }

        if (Find(fingerprint, out var slot))
        {
            return false;
        }

        _slots[slot] = fingerprint;
        _count++;
        return true;
    }

    /// <summary>Removes <paramref name="fingerprint"/>; false when it was not there.</summary>
    public bool Remove(ulong fingerprint)
    {
        if (fingerprint == Free)
        {
            var removed = _hasZero;
            _hasZero = false;
            return removed;
        }

        if (!Find(fingerprint, out var hole))
        {
            return false;
        }

        var slots = _slots;
        var mask = slots.Length - 1;

        // Backward-shift deletion: move up each following fingerprint whose home is at or before the hole, so every
        // probe still finds what it looks for before a free slot (no tombstones to accumulate).
        for (var j = (hole + 1) & mask; slots[j] != Free; j = (j + 1) & mask)
        {
            var home = (int)slots[j] & mask;
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                slots[hole] = slots[j];
                hole = j;
            }
        }

        slots[hole] = Free;
        _count--;
        return true;
    }

    /// <summary>
    /// Probes for <paramref name="fingerprint"/> (not <see cref="Free"/>) from its home slot: true with the slot holding it,
    /// or false with the free slot where the probe ended, where it would go.
    /// </summary>
    private bool Find(ulong fingerprint, out int slot)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = (int)fingerprint & mask; ; i = (i + 1) & mask)
        {
            if (slots[i] == fingerprint || slots[i] == Free)
            {
                slot = i;
                return slots[i] == fingerprint;
            }
        }
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new ulong[old.Length * 2];
        _count = 0;
        foreach (var fingerprint in old)
        {
            if (fingerprint != Free)
            {
                Add(fingerprint);
            }
        }
    }

    private static int CapacityFor(int expected) =>
        (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(SmallestCapacity, 2 * expected));
}
