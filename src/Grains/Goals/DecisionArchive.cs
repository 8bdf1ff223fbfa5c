using System.Collections;
using Mdl.Decisions;
using Orleans.Serialization.Buffers;

namespace Mdl.Goals;

/// <summary>
/// A page of a goal's decision history (<see cref="DecisionHistoryState"/>), or a view merged from pages, oldest first,
/// held as it is stored: each record's serialised bytes beside its sequence number. Moving decisions into a page moves the
/// bytes the goal's state holds for them, so a page is written without serialising its records again; a record is decoded
/// only when it is read (a view, the snapshot's newest decision, an outcome looked up).
/// </summary>
/// <remarks>
/// A record merged in without bytes (a decision whose state write used scratch memory, or one that just gained a late
/// outcome) stays a record until the archive is next written, which encodes it once and keeps its bytes.
/// </remarks>
public sealed class DecisionArchive : IEnumerable<DecisionRecord>
{
    private readonly List<Entry> _entries;

    // How bytes become a record again; set by the codec that read or wrote them, the only source of entries without a
    // record (an archive that was never read or written holds records only).
    private Func<ReadOnlyMemory<byte>, DecisionRecord>? _decode;

    /// <summary>An empty archive.</summary>
    public DecisionArchive() => _entries = [];

    /// <summary>An empty archive with room for <paramref name="capacity"/> decisions: a page about to take a batch.</summary>
    public DecisionArchive(int capacity) => _entries = new List<Entry>(capacity);

    /// <summary>
    /// An archive holding <paramref name="records"/>, oldest first: how a storage that keeps states as JSON (Orleans's
    /// default for its memory storage) reads one back.
    /// </summary>
    public DecisionArchive(IEnumerable<DecisionRecord> records) => _entries = [.. records.Select(Entry.Of)];

    private DecisionArchive(List<Entry> entries, Func<ReadOnlyMemory<byte>, DecisionRecord>? decode)
    {
        _entries = entries;
        _decode = decode;
    }

    /// <summary>The number of decisions held.</summary>
    public int Count => _entries.Count;

    /// <summary>The oldest decision's sequence number; 0 when empty.</summary>
    public long OldestSeq => _entries.Count > 0 ? _entries[0].Seq : 0;

    /// <summary>The newest decision's sequence number; 0 when empty.</summary>
    public long NewestSeq => _entries.Count > 0 ? _entries[^1].Seq : 0;

    /// <summary>The sequence number of the <paramref name="n"/>-th newest decision (1 is the newest); 0 when fewer are held.</summary>
    public long NthNewestSeq(int n) => n >= 1 && n <= _entries.Count ? _entries[^n].Seq : 0;

    /// <summary>Appends <paramref name="record"/> (newer than every record held); for initialisers and states stored before.</summary>
    public void Add(DecisionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _entries.Add(Entry.Of(record));
    }

    /// <summary>The decision with sequence number <paramref name="seq"/>, decoded; null when not held.</summary>
    public DecisionRecord? Find(long seq) => IndexOf(seq) is var index and >= 0 ? RecordAt(index) : null;

    /// <summary>
    /// Merges <paramref name="batch"/> in, as <see cref="DecisionMerge.Into"/> merges records (a decision held already
    /// gains the outcome the batch brings), then keeps the newest <paramref name="keep"/>. The batch comes from
    /// <paramref name="source"/>, the goal's state: its parked decisions as the bytes the state holds, and its records with
    /// the bytes the state kept for them, so moving a decision to the history serialises nothing.
    /// </summary>
    public void Merge(ArchiveBatch batch, DecisionLog source, int keep)
    {
        ArgumentNullException.ThrowIfNull(source);
        _decode ??= source.Decoder;
        for (var i = 0; i < batch.Parked; i++)
        {
            var parked = source.Parked[i];
            MergeOne(new Entry(parked.Seq, Settled: true, parked.Bytes, null));
        }

        // A record that comes with bytes is held as the bytes only: nothing of the state's objects stays here.
        foreach (var record in batch.Records)
        {
            MergeOne(source.KeptBytesOf(record) is { } bytes ? new Entry(record.Seq, record.Outcome is not null, bytes, null) : Entry.Of(record), record);
        }

        var excess = _entries.Count - keep;
        if (excess > 0)
        {
            _entries.RemoveRange(0, excess);
        }
    }

    /// <summary>
    /// Merges the decisions of <paramref name="other"/> in (another page of the same history), as <see cref="Merge"/> does:
    /// a decision held in both keeps the record with its outcome. Shares the (immutable) records and bytes.
    /// </summary>
    public void MergeFrom(DecisionArchive other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _decode ??= other._decode;
        foreach (var entry in other._entries)
        {
            MergeOne(entry, entry.Record);
        }
    }

    /// <inheritdoc />
    public IEnumerator<DecisionRecord> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            yield return RecordAt(i);
        }
    }

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Each decision's bytes, in order, serialising (with <paramref name="serialize"/>, into an array of its own) only the
    /// records held without them, which keep their bytes from now on.
    /// </summary>
    internal ReadOnlyMemory<byte>[] Encode(Func<DecisionRecord, byte[]> serialize, Func<ReadOnlyMemory<byte>, DecisionRecord> decode)
    {
        _decode ??= decode;
        var parts = new ReadOnlyMemory<byte>[_entries.Count];
        for (var i = 0; i < _entries.Count; i++)
        {
            var entry = _entries[i];
            if (entry.Bytes is not { } bytes)
            {
                bytes = serialize(entry.Record!);
                _entries[i] = entry with { Bytes = bytes, Record = null };
            }

            parts[i] = bytes;
        }

        return parts;
    }

    /// <summary>
    /// Reads the stored form (<see cref="DecisionBlock"/>). Each record is decoded once, for its sequence number and whether it has its outcome, and only its
    /// bytes are kept.
    /// </summary>
    internal static DecisionArchive Decode(byte[] block, Func<ReadOnlyMemory<byte>, DecisionRecord> decode)
    {
        var entries = DecisionBlock.Split(block).ConvertAll(bytes =>
        {
            var record = decode(bytes);
            return new Entry(record.Seq, record.Outcome is not null, bytes, null);
        });
        return new DecisionArchive(entries, decode);
    }

    /// <summary>A copy that shares the (immutable) records and bytes.</summary>
    internal DecisionArchive Copy() => new([.. _entries], _decode);

    /// <summary>
    /// Merges one decision in: <see cref="DecisionMerge.Merge"/>, on what the entries know without decoding.
    /// <paramref name="record"/> is the incoming decision's record when the caller has it, so it need not be decoded.
    /// </summary>
    private void MergeOne(Entry incoming, DecisionRecord? record = null)
    {
        var index = IndexOf(incoming.Seq);
        if (index < 0)
        {
            _entries.Insert(DecisionMerge.InsertionPoint(_entries, incoming.Seq, static e => e.Seq), incoming);
            return;
        }

        // A record without its outcome never replaces one with it.
        var existing = _entries[index];
        if (!incoming.Settled && existing.Settled)
        {
            return;
        }

        // The outcome lands on the record held (the only case that decodes: an outcome that came back after archiving).
        _entries[index] = incoming.Settled && !existing.Settled
            ? Entry.Of(DecisionMerge.Merge(RecordAt(index), record ?? RecordOf(incoming)))
            : incoming;
    }

    private DecisionRecord RecordAt(int index) => RecordOf(_entries[index]);

    private DecisionRecord RecordOf(Entry entry) =>
        entry.Record ?? (_decode ?? throw new InvalidOperationException("a decision archive holds bytes without a decoder"))(entry.Bytes!.Value);

    private int IndexOf(long seq) => DecisionMerge.FindIndex(_entries, seq, static e => e.Seq);

    /// <summary>A held decision: its bytes, its record, or (read back, or written once) only its bytes.</summary>
    private readonly record struct Entry(long Seq, bool Settled, ReadOnlyMemory<byte>? Bytes, DecisionRecord? Record)
    {
        public static Entry Of(DecisionRecord record) => new(record.Seq, record.Outcome is not null, null, record);
    }
}

/// <summary>
/// Orleans's codec and copier for <see cref="DecisionArchive"/>: a <see cref="DecisionBlock"/> of each record's bytes, made
/// by the serializer's own <see cref="DecisionRecord"/> codec. The same bytes as <see cref="DecisionLogCodec"/>
/// writes, which is how histories were stored before the archive held bytes: either reads the other's.
/// </summary>
[RegisterSerializer]
[RegisterCopier]
internal sealed class DecisionArchiveCodec(IServiceProvider services) : DecisionBlockCodec<DecisionArchive>(services)
{
    /// <inheritdoc />
    protected override void WriteBlock<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, DecisionArchive value) =>
        DecisionBlock.Write(ref writer, fieldIdDelta, expectedType, typeof(DecisionArchive), value.Encode(Records.SerializeToArray, Decoder));

    /// <inheritdoc />
    protected override DecisionArchive FromBlock(byte[] block) => DecisionArchive.Decode(block, Decoder);

    /// <inheritdoc />
    protected override DecisionArchive Copy(DecisionArchive value) => value.Copy();
}
