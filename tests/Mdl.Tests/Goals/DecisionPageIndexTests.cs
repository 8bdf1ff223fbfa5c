using Mdl.Decisions;
using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>Which stored pages make up a goal's decision history, where a batch goes, and which pages a view reads.</summary>
public sealed class DecisionPageIndexTests
{
    private const int Keep = 50;
    private const int Capacity = 16;

    private static DecisionHistoryState Page(long number, long from, long to) => new()
    {
        Page = number,
        Decisions = [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(seq => new DecisionRecord { Seq = seq })],
    };

    [Fact]
    public void A_goal_with_no_history_puts_its_first_batch_in_slot_0_as_page_1()
    {
        var index = new DecisionPageIndex();

        Assert.Equal(new PagePlacement(0, 1, Appends: false), index.Place(16, Capacity));
    }

    [Fact]
    public void A_small_batch_joins_the_newest_page_while_it_has_room_and_a_full_one_starts_a_page()
    {
        var index = new DecisionPageIndex();
        index.Wrote(0, "e0", Page(1, 1, 3), Keep);

        Assert.Equal(new PagePlacement(0, 1, Appends: true), index.Place(13, Capacity));
        Assert.Equal(new PagePlacement(1, 2, Appends: false), index.Place(14, Capacity));
    }

    [Fact]
    public void Once_newer_pages_hold_the_history_s_length_the_oldest_page_frees_its_slot_for_the_next_page()
    {
        var index = new DecisionPageIndex();
        for (var n = 1; n <= 4; n++)
        {
            index.Wrote(n - 1, $"e{n}", Page(n, ((n - 1) * 16) + 1, n * 16), Keep);
        }

        // 64 decisions: without page 1, 48 are left, short of 50, so page 1 is still needed.
        Assert.Equal([0, 1, 2, 3], index.Pages.Select(p => p.Slot));
        Assert.Equal(new PagePlacement(4, 5, Appends: false), index.Place(16, Capacity));

        index.Wrote(4, "e5", Page(5, 65, 80), Keep);

        // 80 decisions: pages 2 to 5 hold 64, so page 1 goes, and slot 0 takes the next page, over it.
        Assert.Equal([1, 2, 3, 4], index.Pages.Select(p => p.Slot));
        Assert.Equal(new PagePlacement(0, 6, Appends: false), index.Place(16, Capacity));
        Assert.Equal("e1", index.ETagOf(0));
        Assert.Equal(5, index.StoredSlots);
    }

    [Fact]
    public void A_page_written_over_a_slot_replaces_what_the_index_knew_of_it()
    {
        var index = new DecisionPageIndex();
        index.Found(0, "a", Page(1, 1, 16));
        index.Wrote(0, "b", Page(7, 100, 110), Keep);

        var page = Assert.Single(index.Pages);
        Assert.Equal((7L, 100L, 110L, 11), (page.Number, page.OldestSeq, page.NewestSeq, page.Count));
        Assert.Equal(11, index.Count);
    }

    [Fact]
    public void The_history_stored_before_pages_is_the_oldest_page_never_grows_and_is_let_go_like_any_other()
    {
        var index = new DecisionPageIndex();
        index.Found(DecisionPage.LegacySlot, "legacy", Page(0, 1, 50));

        Assert.Equal(new PagePlacement(0, 1, Appends: false), index.Place(1, Capacity));
        index.Wrote(0, "p1", Page(1, 51, 51), Keep);
        Assert.False(index.LegacyLetGo);

        for (var n = 2; n <= 4; n++)
        {
            index.Wrote(n - 1, $"p{n}", Page(n, 20 + (n * 16), 35 + (n * 16)), Keep);
        }

        // 49 decisions in the pages: the history before them is still needed; with 16 more it is not.
        Assert.False(index.LegacyLetGo);
        index.Wrote(4, "p5", Page(5, 100, 115), Keep);
        Assert.True(index.LegacyLetGo);
        Assert.DoesNotContain(index.Pages, p => p.IsLegacy);
        Assert.Equal("legacy", index.ETagOf(DecisionPage.LegacySlot));

        index.ForgetLegacy();
        Assert.False(index.LegacyLetGo);
        Assert.Null(index.ETagOf(DecisionPage.LegacySlot));
    }

    [Fact]
    public void A_view_reads_the_page_with_the_newest_decision_first_and_a_decision_is_looked_for_in_the_pages_covering_it()
    {
        var index = new DecisionPageIndex();
        index.Found(0, "a", Page(1, 1, 16));

        // Page 2 holds decision 5 (its call was in flight while 6 to 16 moved) beside 17 to 20; page 3 holds 21.
        var late = Page(2, 17, 20);
        late.Decisions.MergeFrom(new DecisionArchive([new DecisionRecord { Seq = 5 }]));
        index.Found(1, "b", late);
        index.Found(2, "c", Page(3, 21, 21));

        Assert.Equal([3L, 2L, 1L], index.NewestFirst().Select(p => p.Number));
        Assert.Equal([2L, 1L], index.Covering(5).Select(p => p.Number));
        Assert.Equal([1L], index.Covering(3).Select(p => p.Number));
        Assert.Empty(index.Covering(22));
        Assert.Equal(3, index.Newest()!.Number);
    }

    [Fact]
    public void Pages_found_in_storage_are_trimmed_to_the_history_s_length_after_a_load()
    {
        var index = new DecisionPageIndex();
        for (var n = 5; n >= 1; n--)
        {
            index.Found(n - 1, $"e{n}", Page(n, ((n - 1) * 16) + 1, n * 16));
        }

        index.Trim(Keep);

        Assert.Equal([2L, 3L, 4L, 5L], index.Pages.Select(p => p.Number));
        Assert.Equal(new PagePlacement(0, 6, Appends: false), index.Place(16, Capacity));
    }
}
