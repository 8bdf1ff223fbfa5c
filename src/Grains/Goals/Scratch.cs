using System.Buffers;
using System.Text.Json;

namespace Mdl.Goals;

/// <summary>
/// One reusable buffer per thread for bytes that are written once and dropped. Slices handed out stay valid until the
/// buffer is taken again: growing copies into a new array and leaves the old one, with the bytes already written, alone.
/// </summary>
internal static class Scratch
{
    // Buffers that grew past this are dropped after use, so a rare huge state does not stay with the thread.
    private const int MaxKeptCapacity = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>This thread's buffer, emptied; null while it is taken, so a nested taker gets a buffer of its own.</summary>
    public static ArrayBufferWriter<byte> Take()
    {
        var buffer = _buffer ?? new ArrayBufferWriter<byte>(4096);
        _buffer = null;
        buffer.ResetWrittenCount();
        return buffer;
    }

    /// <summary>Gives <paramref name="buffer"/> back to this thread.</summary>
    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity <= MaxKeptCapacity)
        {
            _buffer = buffer;
        }
    }
}

/// <summary>
/// JSON documents a goal writes by hand on every loop (a call's arguments, an outcome fed back), made in this thread's
/// <see cref="Scratch"/> buffer with a reused writer: the element parsed from it owns a copy of the bytes.
/// </summary>
internal static class JsonScratch
{
    // The product's JSON conventions (MdlJson) as they apply to a document written by hand: its escaping and depth.
    private static readonly JsonWriterOptions Options = new() { Encoder = MdlJson.Options.Encoder, MaxDepth = MdlJson.Options.MaxDepth };

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    /// <summary>The element <paramref name="write"/> writes from <paramref name="state"/>.</summary>
    public static JsonElement Element<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = Scratch.Take();
        var writer = _writer ?? new Utf8JsonWriter(buffer, Options);
        _writer = null;
        try
        {
            writer.Reset(buffer);
            write(writer, state);
            writer.Flush();
            return JsonElement.Parse(buffer.WrittenSpan);
        }
        finally
        {
            writer.Reset();
            _writer = writer;
            Scratch.Return(buffer);
        }
    }
}
