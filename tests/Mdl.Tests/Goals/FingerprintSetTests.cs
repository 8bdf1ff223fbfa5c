using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>The dedupe window's index: an open-addressed set of 64-bit fingerprints.</summary>
public sealed class FingerprintSetTests
{
    [Fact]
    public void Adding_removing_and_looking_up_agree_with_a_hash_set_as_a_window_slides()
    {
        // Fingerprints that share their low bits land on one run of slots, so removals must shift the run correctly;
        // random ones spread out. Both slide through a window of 64, as a goal's dedupe window does.
        var random = new Random(7);
        var fingerprints = Enumerable.Range(0, 5_000)
            .Select(i => i % 3 == 0 ? ((ulong)i << 16) | 5UL : (ulong)random.NextInt64(1, long.MaxValue))
            .ToArray();
        var set = new FingerprintSet();
        var model = new HashSet<ulong>();
        var window = new Queue<ulong>();

        foreach (var fingerprint in fingerprints)
        {
            Assert.Equal(model.Contains(fingerprint), set.Contains(fingerprint));
            if (window.Count == 64)
            {
                var oldest = window.Dequeue();
                Assert.Equal(model.Remove(oldest), set.Remove(oldest));
            }

            Assert.Equal(model.Add(fingerprint), set.Add(fingerprint));
            window.Enqueue(fingerprint);
            Assert.Equal(model.Count, set.Count);
        }

        foreach (var fingerprint in fingerprints)
        {
            Assert.Equal(model.Contains(fingerprint), set.Contains(fingerprint));
        }

        Assert.All(window, fingerprint => Assert.True(set.Contains(fingerprint)));
    }

    [Fact]
    public void Removing_from_a_run_that_wraps_past_the_end_keeps_every_other_member_findable()
    {
        var set = new FingerprintSet(4); // 8 slots
        ulong[] run = [7, 15, 23, 31]; // all at home slot 7: the run wraps to slots 0, 1 and 2
        foreach (var fingerprint in run)
        {
            Assert.True(set.Add(fingerprint));
        }

        Assert.Equal(8, set.Capacity);
        Assert.True(set.Remove(15));
        Assert.False(set.Contains(15));
        Assert.True(set.Contains(7));
        Assert.True(set.Contains(23));
        Assert.True(set.Contains(31));
        Assert.False(set.Remove(15));
        Assert.Equal(3, set.Count);
    }

    [Fact]
    public void The_fingerprint_zero_is_held_like_any_other()
    {
        var set = new FingerprintSet();

        Assert.False(set.Contains(0));
        Assert.True(set.Add(0));
        Assert.False(set.Add(0));
        Assert.True(set.Contains(0));
        Assert.Equal(1, set.Count);
        Assert.True(set.Remove(0));
        Assert.False(set.Contains(0));
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void The_set_grows_to_keep_at_least_half_its_slots_free()
    {
        var set = FingerprintSet.Of(Enumerable.Range(1, 512).Select(i => (ulong)i * 0x9E3779B97F4A7C15UL).ToArray());

        Assert.Equal(512, set.Count);
        Assert.Equal(1024, set.Capacity); // a full default window: 8 KB, no more

        for (var i = 513; i <= 1_000; i++)
        {
            set.Add((ulong)i * 0x9E3779B97F4A7C15UL);
        }

        Assert.Equal(1_000, set.Count);
        Assert.True(set.Capacity >= 2 * set.Count);
        Assert.All(Enumerable.Range(1, 1_000), i => Assert.True(set.Contains((ulong)i * 0x9E3779B97F4A7C15UL)));
    }
}
