namespace Mdl.Goals;

/// <summary>A stored page of a goal's decision history, as the goal's <see cref="DecisionPageIndex"/> knows it.</summary>
/// <param name="Slot">Where it is stored (<see cref="DecisionHistoryStorage.PageStateName"/>); −1 for the history stored before pages.</param>
/// <param name="Number">Its page number: later pages have higher ones.</param>
/// <param name="OldestSeq">Its oldest decision's sequence number.</param>
/// <param name="NewestSeq">Its newest decision's sequence number.</param>
/// <param name="Count">How many decisions it holds.</param>
public sealed record DecisionPage(int Slot, long Number, long OldestSeq, long NewestSeq, int Count)
{
    /// <summary>The slot of the history stored before pages: the single state named <see cref="DecisionHistoryStorage.StateName"/>.</summary>
    public const int LegacySlot = -1;

    /// <summary>Whether this is the history stored before pages, which is read and trimmed but never grows.</summary>
    public bool IsLegacy => Slot == LegacySlot;
}

/// <summary>Where the next batch of decisions goes: appended to the newest page, or a new page in a free slot.</summary>
/// <param name="Slot">The slot to write.</param>
/// <param name="Number">The page number to write there.</param>
/// <param name="Appends">Whether the page exists and the batch joins its decisions (read it first); else the slot is overwritten.</param>
public readonly record struct PagePlacement(int Slot, long Number, bool Appends);

/// <summary>
/// Which stored pages make up a goal's decision history. The history is kept in pages so that a busy goal writes each batch
/// of decisions once, as a page of its own, instead of reading, merging and rewriting the whole history (and keeping a copy
/// of it in memory between batches). A small batch (a quiet goal's) joins the newest page while that has room, so pages
/// stay few. Once newer pages hold the history's length, the oldest page is let go and its slot is written over by a later
/// page: a goal's stored pages stay as many as its history needs.
/// </summary>
/// <remarks>
/// Pure bookkeeping, with each slot's ETag: the goal reads and writes the pages (<see cref="DecisionHistoryStorage"/>). The
/// index lives in the goal's activation and is rebuilt from the stored pages when the goal next activates, so it needs no
/// write of its own. A page written just before a crash, whose decisions the goal's state still held, is found again and its
/// decisions are archived once more: they are then in two pages, and reading merges them by sequence number.
/// </remarks>
public sealed class DecisionPageIndex
{
    // Held by every goal whose history has been touched, for the activation's life, so kept small: arrays, replaced (not
    // grown) when a history write changes them, rather than a list and a dictionary (about 120 B a goal against 280).
    private DecisionPage[] _pages = []; // the pages kept, oldest first
    private string?[] _etags = []; // by slot: the ETag of every stored slot, kept or free
    private string? _legacyETag;

    /// <summary>The pages kept, oldest first.</summary>
    public IReadOnlyList<DecisionPage> Pages => _pages;

    /// <summary>How many slots are stored, kept or free: slots are taken lowest first, so they are 0 to this, less one.</summary>
    public int StoredSlots => _etags.Length;

    /// <summary>
    /// The history stored before pages was let go (newer pages hold the history's length): the goal may clear it, with
    /// <see cref="ETagOf"/> its slot.
    /// </summary>
    public bool LegacyLetGo { get; private set; }

    /// <summary>Total decisions in the pages kept (a decision archived twice counts twice).</summary>
    public int Count { get; private set; }

    /// <summary>The ETag the next write of <paramref name="slot"/> must carry; null for a slot never stored.</summary>
    public string? ETagOf(int slot) => slot == DecisionPage.LegacySlot ? _legacyETag : slot < _etags.Length ? _etags[slot] : null;

    /// <summary>Records a slot read from storage: its ETag, and its page when it holds decisions.</summary>
    public void Found(int slot, string? etag, DecisionHistoryState page)
    {
        SetETag(slot, etag);
        if (page.Decisions.Count > 0)
        {
            Keep(Describe(slot, page));
        }
    }

    /// <summary>
    /// Where a batch of <paramref name="count"/> decisions goes: the newest page while it holds fewer than
    /// <paramref name="capacity"/> with the batch, else a new page in the lowest slot no kept page uses.
    /// </summary>
    public PagePlacement Place(int count, int capacity)
    {
        var newest = _pages.Length > 0 ? _pages[^1] : null;
        if (newest is { IsLegacy: false } && newest.Count + count <= capacity)
        {
            return new PagePlacement(newest.Slot, newest.Number, Appends: true);
        }

        var slot = 0;
        while (Uses(slot))
        {
            slot++;
        }

        return new PagePlacement(slot, (newest?.Number ?? 0) + 1, Appends: false);
    }

    /// <summary>
    /// Records <paramref name="page"/> as written to <paramref name="slot"/> with <paramref name="etag"/>, then lets go of
    /// the oldest pages that the newer ones no longer need to hold <paramref name="keep"/> decisions.
    /// </summary>
    public void Wrote(int slot, string? etag, DecisionHistoryState page, int keep)
    {
        SetETag(slot, etag);
        Keep(Describe(slot, page));
        Trim(keep);
    }

    /// <summary>Lets go of the oldest pages the newer ones no longer need to hold <paramref name="keep"/> decisions (after a load).</summary>
    public void Trim(int keep)
    {
        var letGo = 0;
        var left = Count;
        while (_pages.Length - letGo > 1 && left - _pages[letGo].Count >= keep)
        {
            left -= _pages[letGo].Count;
            LegacyLetGo |= _pages[letGo].IsLegacy;
            letGo++;
        }

        if (letGo > 0)
        {
            _pages = _pages[letGo..];
            Count = left;
        }
    }

    /// <summary>The history stored before pages was cleared from storage (or the attempt is given up for this activation).</summary>
    public void ForgetLegacy()
    {
        _legacyETag = null;
        LegacyLetGo = false;
    }

    /// <summary>The kept page holding the newest decision (the latest page of those that do); null when none is kept.</summary>
    public DecisionPage? Newest() => NewestFirst().FirstOrDefault();

    /// <summary>The kept pages whose range of sequence numbers covers <paramref name="seq"/>, newest page first.</summary>
    public IEnumerable<DecisionPage> Covering(long seq) =>
        _pages.Where(p => p.OldestSeq <= seq && seq <= p.NewestSeq).OrderByDescending(p => p.Number);

    /// <summary>The kept pages in the order a view of the newest decisions reads them: newest decision first.</summary>
    public IEnumerable<DecisionPage> NewestFirst() => _pages.OrderByDescending(p => p.NewestSeq).ThenByDescending(p => p.Number);

    private bool Uses(int slot)
    {
        foreach (var page in _pages)
        {
            if (page.Slot == slot)
            {
                return true;
            }
        }

        return false;
    }

    private static DecisionPage Describe(int slot, DecisionHistoryState page) =>
        new(slot, page.Page, page.Decisions.OldestSeq, page.Decisions.NewestSeq, page.Decisions.Count);

    private void SetETag(int slot, string? etag)
    {
        if (slot == DecisionPage.LegacySlot)
        {
            _legacyETag = etag;
            return;
        }

        if (slot >= _etags.Length)
        {
            Array.Resize(ref _etags, slot + 1);
        }

        _etags[slot] = etag;
    }

    /// <summary>Keeps <paramref name="page"/> in its place by number; a slot holds one page, so what it held before is gone.</summary>
    private void Keep(DecisionPage page)
    {
        var pages = new List<DecisionPage>(_pages.Length + 1);
        foreach (var kept in _pages)
        {
            if (kept.Slot == page.Slot)
            {
                Count -= kept.Count;
            }
            else
            {
                pages.Add(kept);
            }
        }

        pages.Insert(pages.FindLastIndex(p => p.Number < page.Number) + 1, page);
        Count += page.Count;
        _pages = [.. pages];
    }
}
