using System.Runtime.InteropServices;
using Mdl.Decisions;
using Orleans.Serialization.Buffers;

namespace Mdl.Goals;

/// <summary>
/// Decision records kept in a goal's stored state, oldest first. Stored as one block of each record's own serialised
/// bytes (<see cref="DecisionLogCodec"/>). A decision waits in the goal's state across many writes, and the history is
/// rewritten whole; serialising every record field by field on every write was the largest part of a loop's CPU (the
/// serializer tracks each object and string it writes). Records are immutable, so the bytes of a record are kept and
/// reused while that same record stays in the log, and follow it when it moves from a goal's state to its history.
/// A settled record a completed write covered is then held as those bytes alone (<see cref="Park"/>) until it moves:
/// the list holds the records still changing, and <see cref="All"/>, <see cref="Find"/> and <see cref="Newest"/> see both.
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

    // Decisions parked by Park: settled, covered by a completed write, held as their bytes only until they move to the
    // history. Always older than every record in the list; made by the first one parked.
    private List<ParkedDecision>? _parked;

    /// <summary>An empty log.</summary>
    public DecisionLog()
    {
    }

    /// <summary>A log holding <paramref name="records"/>, in order.</summary>
    public DecisionLog(IEnumerable<DecisionRecord> records)
        : base(records)
    {
    }

    /// <summary>Decisions held: the records in the list and those parked as bytes.</summary>
    public int Held => Count + (_parked?.Count ?? 0);

    /// <summary>The newest decision's sequence number; 0 when none is held.</summary>
    public long NewestSeq => Count > 0 ? this[^1].Seq : _parked is { Count: > 0 } parked ? parked[^1].Seq : 0;

    /// <summary>
    /// Decisions parked as bytes (<see cref="Park"/>), oldest first: settled and durable in the state, waiting only to move
    /// to the history.
    /// </summary>
    internal IReadOnlyList<ParkedDecision> Parked => (IReadOnlyList<ParkedDecision>?)_parked ?? [];

    /// <summary>
    /// How parked bytes become a record again; set by the codec that writes or reads the log, the only way bytes are
    /// kept (without it nothing is parked).
    /// </summary>
    internal Func<ReadOnlyMemory<byte>, DecisionRecord>? Decoder { get; set; }

    /// <summary>The newest decision held, decoded if it is parked; null when none is held.</summary>
    public DecisionRecord? Newest() => Count > 0 ? this[^1] : _parked is { Count: > 0 } parked ? Decode(parked[^1]) : null;

    /// <summary>The decision with sequence number <paramref name="seq"/>, decoded if it is parked; null when not held.</summary>
    public DecisionRecord? Find(long seq)
    {
        var index = DecisionMerge.FindIndex(this, seq);
        if (index >= 0)
        {
            return this[index];
        }

        index = _parked is null ? -1 : DecisionMerge.FindIndex(_parked, seq, static p => p.Seq);
        return index >= 0 ? Decode(_parked![index]) : null;
    }

    /// <summary>Every decision held, oldest first: the parked ones decoded, then the records.</summary>
    public IEnumerable<DecisionRecord> All()
    {
        if (_parked is not null)
        {
            foreach (var parked in _parked.ToArray())
            {
                yield return Decode(parked);
            }
        }

        foreach (var record in ToArray())
        {
            yield return record;
        }
    }

    /// <summary>
    /// Parks the records at the front of the log that <paramref name="written"/> (the records a state write that has
    /// completed carried) covers, that have their outcome, and whose bytes that write kept: from now on only their bytes
    /// are held. A decision waits in the state for its history's write, 16 at a time; held as records, each was an object
    /// graph that outlived the collector's youngest generation, most of what a busy silo's collections promoted. A
    /// settled record never changes again, so its sequence number identifies it as well as the object did.
    /// </summary>
    /// <returns>The records of <paramref name="written"/> still in the list, for the next archive.</returns>
    internal DecisionRecord[] Park(DecisionRecord[] written)
    {
        var parked = 0;
        while (parked < Count && Decoder is not null && this[parked] is { Outcome: not null } record
            && DecisionMerge.HoldsSame(written, record) && KeptBytesOf(record) is { } bytes)
        {
            (_parked ??= []).Add(new ParkedDecision(record.Seq, bytes));
            parked++;
        }

        if (parked == 0)
        {
            return written;
        }

        // What the log knew of them (and of any earlier record of the same decisions) goes with them.
        var newestParked = this[parked - 1].Seq;
        _encoded.RemoveAll(entry => entry.Record.Seq <= newestParked);
        RemoveRange(0, parked);
        return Array.FindAll(written, w => w.Seq > newestParked);
    }

    /// <summary>Drops the oldest <paramref name="count"/> parked decisions: a history write that took them has completed.</summary>
    internal void Unpark(int count)
    {
        if (_parked is null || count <= 0)
        {
            return;
        }

        _parked.RemoveRange(0, count);
        if (_parked.Count == 0)
        {
            _parked = null; // a quiet goal holds no list until it parks again
        }
    }

    /// <summary>A copy holding the same records and parked bytes (all immutable).</summary>
    internal DecisionLog Copy()
    {
        var copy = new DecisionLog(this) { Decoder = Decoder };
        copy._parked = _parked is null ? null : [.. _parked];
        return copy;
    }

    private DecisionRecord Decode(ParkedDecision parked) =>
        (Decoder ?? throw new InvalidOperationException("a decision log holds bytes without a decoder"))(parked.Bytes);

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
    /// Each record's serialised bytes, in order, into <paramref name="parts"/> (emptied first), reusing those kept for
    /// records written or read before. <paramref name="serialize"/> (called with <paramref name="state"/>) is told whether
    /// the bytes will be kept: kept bytes must be an array of their own, while bytes used once may be scratch memory that
    /// stays valid until the caller has written them. The codec writes a busy goal's log with every state write, and
    /// passes one list per thread and no closure.
    /// </summary>
    internal void Encode<TState>(
        List<ReadOnlyMemory<byte>> parts, TState state, Func<TState, DecisionRecord, bool, ReadOnlyMemory<byte>> serialize)
    {
        var encoded = _spare ?? new(Count);
        parts.Clear();
        if (_parked is { } parked)
        {
            foreach (var decision in parked)
            {
                parts.Add(decision.Bytes);
            }
        }

        for (var i = 0; i < Count; i++)
        {
            var record = this[i];
            var (seen, known) = Encoded(record, i);
            var keep = seen || record.Outcome is not null;
            var bytes = known ?? serialize(state, record, keep);
            encoded.Add((record, keep ? known ?? ArrayOf(bytes) : NotKept));
            parts.Add(bytes);
        }

        _spare = _encoded;
        _spare.Clear();
        _encoded = encoded;
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
    /// Reads the stored form (<see cref="DecisionBlock"/>). Each record keeps the bytes it was read from, so the next write
    /// does not serialise it again.
    /// </summary>
    internal static DecisionLog Decode(byte[] block, Func<ReadOnlyMemory<byte>, DecisionRecord> deserialize)
    {
        var log = new DecisionLog { Decoder = deserialize };
        foreach (var bytes in DecisionBlock.Split(block))
        {
            var record = deserialize(bytes);
            log.Add(record);
            log._encoded.Add((record, bytes));
        }

        return log;
    }

    /// <summary>What the last encode knew of <paramref name="record"/>: usually at the same index, or close to it.</summary>
    private (bool Seen, ReadOnlyMemory<byte>? Bytes) Encoded(DecisionRecord record, int index)
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

/// <summary>A settled decision a goal's state holds as its bytes only (<see cref="DecisionLog.Park"/>).</summary>
internal readonly record struct ParkedDecision(long Seq, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// Orleans's codec and copier for <see cref="DecisionLog"/>: a <see cref="DecisionBlock"/> of each record's bytes, made by
/// the serializer's own <see cref="DecisionRecord"/> codec.
/// </summary>
[RegisterSerializer]
[RegisterCopier]
internal sealed class DecisionLogCodec(IServiceProvider services) : DecisionBlockCodec<DecisionLog>(services)
{
    // The parts of the log being written, one list per thread: a busy goal writes its log with every state write.
    [ThreadStatic]
    private static List<ReadOnlyMemory<byte>>? t_parts;

    /// <inheritdoc />
    protected override void WriteBlock<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, DecisionLog value)
    {
        // Records not kept are serialised into a scratch buffer of this thread's, not into arrays of their own: a loop
        // writes its new decision ahead of the call, and the record with the outcome replaces it.
        var scratch = Scratch.Take();
        var parts = t_parts ?? [];
        t_parts = null; // a nested write (none is expected) gets a list of its own
        try
        {
            value.Decoder ??= Decoder;
            value.Encode(parts, (Records, Scratch: scratch), static (state, record, keep) =>
            {
                if (keep)
                {
                    return state.Records.SerializeToArray(record);
                }

                var start = state.Scratch.WrittenCount;
                state.Records.Serialize(record, state.Scratch);
                return state.Scratch.WrittenMemory[start..];
            });

            DecisionBlock.Write(ref writer, fieldIdDelta, expectedType, typeof(DecisionLog), CollectionsMarshal.AsSpan(parts));
        }
        finally
        {
            parts.Clear(); // holds no bytes past the write
            t_parts = parts;
            Scratch.Return(scratch);
        }
    }

    /// <inheritdoc />
    protected override DecisionLog FromBlock(byte[] block) => DecisionLog.Decode(block, Decoder);

    /// <inheritdoc />
    protected override DecisionLog Copy(DecisionLog value) => value.Copy();
}
