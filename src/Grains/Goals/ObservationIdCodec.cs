using System.Buffers.Binary;
using System.Text;

namespace Mdl.Goals;

/// <summary>
/// Reads the dedupe window's stored form from before it held fingerprints (<see cref="ObservationFingerprint"/>): one
/// byte array of length-prefixed UTF-8 ids. Goal states written then still load through it; nothing writes it now.
/// </summary>
public static class ObservationIdCodec
{
    /// <summary>The ids, in order, from their stored form: per id, its UTF-8 length (4 bytes, little-endian) and its bytes.</summary>
    public static List<string> Decode(byte[] bytes)
    {
        var ids = new List<string>();
        var at = 0;
        while (at < bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            ids.Add(Encoding.UTF8.GetString(bytes, at + sizeof(int), length));
            at += sizeof(int) + length;
        }

        return ids;
    }
}
