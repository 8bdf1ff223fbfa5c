using System.Buffers.Binary;
using System.Text;

namespace Mdl.Goals;

/// <summary>
/// The dedupe window's stored form before it held fingerprints (<see cref="ObservationFingerprint"/>): one byte array of
/// length-prefixed UTF-8 ids. Goal states written then are still read through it.
/// </summary>
public static class ObservationIdCodec
{
    /// <summary>Encodes <paramref name="ids"/>, in order.</summary>
    public static byte[] Encode(List<string> ids)
    {
        var size = 0;
        foreach (var id in ids)
        {
            size += sizeof(int) + Encoding.UTF8.GetByteCount(id);
        }

        var bytes = new byte[size];
        var at = 0;
        foreach (var id in ids)
        {
            var length = Encoding.UTF8.GetBytes(id, bytes.AsSpan(at + sizeof(int)));
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), length);
            at += sizeof(int) + length;
        }

        return bytes;
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote.</summary>
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
