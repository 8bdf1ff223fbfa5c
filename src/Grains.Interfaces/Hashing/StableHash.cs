using System.Text;

namespace Mdl;

/// <summary>A hash of a string that is the same on every process and run (unlike <see cref="string.GetHashCode()"/>), for sharding.</summary>
public static class StableHash
{
    /// <summary>The 32-bit FNV-1a hash of <paramref name="value"/>'s UTF-8 bytes.</summary>
    public static uint Of(string value)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
