using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Mdl.Decisions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Mdl.Goals;

/// <summary>
/// Decision records kept in a goal's stored state, oldest first. Stored as one block of each record's own serialised
/// bytes (<see cref="DecisionLogCodec"/>). A decision waits in the goal's state across many writes, and the history is
/// rewritten whole; serialising every record field by field on every write was the largest part of a loop's CPU (the
/// serializer tracks each object and string it writes). Records are immutable, so the bytes of a record are kept and
/// reused while that same record stays in the log, and follow it when it moves from a goal's state to its history.
/// </summary>
public sealed class DecisionLog : List<DecisionRecord>
{
    // The records the last write or read held, by reference, with their bytes when kept. A record that still waits for
    // its outcome will be replaced by the record with it, so its first write uses scratch memory; a record with its
    // outcome never changes again, so its bytes are kept from its first write, and a record read from storage keeps the
    // bytes it was read from. An idle goal holds them only until its decisions move to the history.
    private List<(DecisionRecord Record, ReadOnlyMemory<byte>? Bytes)> _encoded = [];

    // The list the encode before last filled, emptied: the next encode fills it again rather than a new one (a busy goal
    // encodes its log with every state write). Dropped once the log is empty, so an idle goal holds no spare.
    private List<(DecisionRecord Record, ReadOnlyMemory<byte>? Bytes)>? _spare;

    // Spelled out: a bare null would become empty bytes through the conversion from byte[], not "none kept".
    private static readonly ReadOnlyMemory<byte>? NotKept = null;

    /// <summary>An empty log.</summary>
    public DecisionLog()
    {
    }

    /// <summary>A log holding <paramref name="records"/>, in order.</summary>
    public DecisionLog(IEnumerable<DecisionRecord> records)
        : base(records)
    {
    }

    /// <summary>
    /// Removes the records <paramref name="match"/> selects, and what was kept of them for the next write: an idle goal
    /// whose decisions moved to its history writes its state again only with its next change, and holds nothing of
    /// them meanwhile.
    /// </summary>
    public new int RemoveAll(Predicate<DecisionRecord> match)
    {
        _encoded.RemoveAll(entry => match(entry.Record));
        var removed = base.RemoveAll(match);
        if (Count == 0)
        {
            _spare = null;
        }

        return removed;
    }

    /// <summary>
    /// Each record's serialised bytes, in order, reusing those kept for records written or read before. <paramref name="serialize"/>
    /// is told whether the bytes will be kept: kept bytes must be an array of their own, while bytes used once may be
    /// scratch memory that stays valid until the caller has written them.
    /// </summary>
    internal ReadOnlyMemory<byte>[] Encode(Func<DecisionRecord, bool, ReadOnlyMemory<byte>> serialize)
    {
        var encoded = _spare ?? new(Count);
        var parts = new ReadOnlyMemory<byte>[Count];
        for (var i = 0; i < Count; i++)
        {
            var record = this[i];
            var (seen, known) = Find(record, i);
            var keep = seen || record.Outcome is not null;
            var bytes = known ?? serialize(record, keep);
            encoded.Add((record, keep ? known ?? ArrayOf(bytes) : NotKept));
            parts[i] = bytes;
        }

        _spare = _encoded;
        _spare.Clear();
        _encoded = encoded;
        return parts;
    }

    /// <summary>
    /// The bytes kept for <paramref name="record"/> itself (not an earlier or later record of the same decision), if any:
    /// decisions moving from a goal's state to its history take the bytes the state's writes made.
    /// </summary>
    internal ReadOnlyMemory<byte>? KeptBytesOf(DecisionRecord record)
    {
        foreach (var (kept, bytes) in _encoded)
        {
            if (ReferenceEquals(kept, record))
            {
                return bytes;
            }
        }

        return NotKept;
    }

    private static ReadOnlyMemory<byte> ArrayOf(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? bytes
            : bytes.ToArray();

    /// <summary>
    /// Reads the stored form (<see cref="DecisionBlock"/>). Each record keeps
    /// the bytes it was read from, so the next write does not serialise it again.
    /// </summary>
    internal static DecisionLog Decode(byte[] block, Func<ReadOnlyMemory<byte>, DecisionRecord> deserialize)
    {
        var log = new DecisionLog();
        foreach (var bytes in DecisionBlock.Split(block))
        {
            var record = deserialize(bytes);
            log.Add(record);
            log._encoded.Add((record, bytes));
        }

        return log;
    }

    /// <summary>What the last encode knew of <paramref name="record"/>: usually at the same index, or close to it.</summary>
    private (bool Seen, ReadOnlyMemory<byte>? Bytes) Find(DecisionRecord record, int index)
    {
        var encoded = _encoded;
        for (var offset = 0; offset < encoded.Count; offset++)
        {
            // Records leave from the front (archived) and join at the back, so search outward from the same index.
            var j = (index + offset) % encoded.Count;
            if (ReferenceEquals(encoded[j].Record, record))
            {
                return (true, encoded[j].Bytes);
            }
        }

        return (false, NotKept);
    }
}

/// <summary>
/// Orleans's codec and copier for <see cref="DecisionLog"/>: a <see cref="DecisionBlock"/> of each record's bytes, made by
/// the serializer's own <see cref="DecisionRecord"/> codec.
/// </summary>
[RegisterSerializer]
[RegisterCopier]
internal sealed class DecisionLogCodec(IServiceProvider services) : IFieldCodec<DecisionLog>, IDeepCopier<DecisionLog>
{
    // Resolved on first use: the record serializer depends on the codec registry this codec is part of.
    private Serializer<DecisionRecord>? _records;

    private Serializer<DecisionRecord> Records => _records ??= services.GetRequiredService<Serializer<DecisionRecord>>();

    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [AllowNull] Type expectedType, [AllowNull] DecisionLog value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        // One length-prefixed block: per record, its length and its bytes. Records not kept are serialised into a scratch
        // buffer of this thread's, not into arrays of their own: a loop writes its new decision ahead of the call, and the
        // record with the outcome replaces it.
        var scratch = Scratch.Take();
        try
        {
            var records = Records;
            var parts = value!.Encode((record, keep) =>
            {
                if (keep)
                {
                    return records.SerializeToArray(record);
                }

                var start = scratch.WrittenCount;
                records.Serialize(record, scratch);
                return scratch.WrittenMemory[start..];
            });

            DecisionBlock.Write(ref writer, fieldIdDelta, expectedType, typeof(DecisionLog), parts);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    /// <inheritdoc />
    public DecisionLog? ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<DecisionLog, TInput>(ref reader, field);
        }

        var block = DecisionBlock.Read(ref reader, field);
        var records = Records;
        var log = DecisionLog.Decode(block, bytes => records.Deserialize(bytes) ?? throw new InvalidDataException("a stored decision record is empty"));
        ReferenceCodec.RecordObject(reader.Session, log);
        return log;
    }

    /// <inheritdoc />
    public DecisionLog? DeepCopy(DecisionLog? input, CopyContext context) => input is null ? null : new(input); // the records are immutable
}
