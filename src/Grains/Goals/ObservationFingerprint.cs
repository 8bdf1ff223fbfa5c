using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Mdl.Goals;

/// <summary>
/// What the dedupe window keeps of an observation id: a 64-bit XXH3 hash of it. Eight bytes instead of the id's string
/// (and its UTF-8 copy in every write); two distinct ids share one only by a 2⁻⁶⁴ chance per pair, far below any other
/// way an observation can be lost. The window is written with every change of a goal, so its size is a loop's cost.
/// </summary>
public static class ObservationFingerprint
{
    /// <summary>The fingerprint of <paramref name="id"/> (over its UTF-16 code units, little-endian on every supported platform).</summary>
    public static ulong Of(string id) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(id.AsSpan()));
}
