using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mdl.Audit;

namespace Mdl.Tests.Audit;

/// <summary>The pure hash chain: canonical content, hashing, and naming the first broken entry.</summary>
public sealed class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Genesis_hash_is_64_zeros()
    {
        Assert.Equal(new string('0', 64), AuditChain.GenesisHash);
    }

    [Fact]
    public void Hash_is_lowercase_hex_sha256_over_the_previous_hash_and_the_canonical_content()
    {
        var entry = AuditChain.Seal("user-55", 1, Start, AuditKinds.Paused, Json("""{ "by" : "ops",  "a": [1, 2.50] }"""), AuditChain.GenesisHash);

        const string content = """{"data":{"a":[1,2.5],"by":"ops"},"goalId":"user-55","kind":"paused","seq":1,"time":"2026-11-27T08:00:00.0000000Z"}""";
        Assert.Equal(content, Encoding.UTF8.GetString(AuditChain.CanonicalContent(entry)));
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AuditChain.GenesisHash + content)));
        Assert.Equal(expected, entry.Hash);
        Assert.Matches("^[0-9a-f]{64}$", entry.Hash);
        Assert.Equal(AuditChain.GenesisHash, entry.PrevHash);
    }

    [Fact]
    public void Hash_does_not_depend_on_how_the_data_json_was_formatted()
    {
        var compact = Json("""{"email":"a@b.c","score":0.4,"tags":["x","y"],"nested":{"z":1,"a":true}}""");
        var spaced = Json("""
            {
              "nested" : { "a" : true, "z" : 1.0 },
              "tags"   : [ "x", "\u0079" ],
              "score"  : 4e-1,
              "email"  : "a@b.c"
            }
            """);

        var first = AuditChain.Seal("g", 1, Start, "decision", compact, AuditChain.GenesisHash);
        var second = AuditChain.Seal("g", 1, Start, "decision", spaced, AuditChain.GenesisHash);

        Assert.Equal(first.Hash, second.Hash);
        Assert.Equal(first.Data.GetRawText(), second.Data.GetRawText());
    }

    [Fact]
    public void Hash_does_not_depend_on_the_offset_the_time_was_given_in()
    {
        var utc = AuditChain.Seal("g", 1, Start, "decision", Json("{}"), AuditChain.GenesisHash);
        var local = AuditChain.Seal("g", 1, Start.ToOffset(TimeSpan.FromHours(5.5)), "decision", Json("{}"), AuditChain.GenesisHash);

        Assert.Equal(utc.Hash, local.Hash);
        Assert.Equal(TimeSpan.Zero, local.Time.Offset);
    }

    [Fact]
    public void Hash_changes_with_every_field_and_with_the_previous_hash()
    {
        var entry = AuditChain.Seal("g", 1, Start, "decision", Json("""{"a":1}"""), AuditChain.GenesisHash);
        var otherPrev = new string('a', 64);

        string[] hashes =
        [
            entry.Hash,
            AuditChain.Hash(otherPrev, entry),
            AuditChain.Hash(AuditChain.GenesisHash, entry with { GoalId = "h" }),
            AuditChain.Hash(AuditChain.GenesisHash, entry with { Seq = 2 }),
            AuditChain.Hash(AuditChain.GenesisHash, entry with { Time = Start.AddTicks(1) }),
            AuditChain.Hash(AuditChain.GenesisHash, entry with { Kind = "call" }),
            AuditChain.Hash(AuditChain.GenesisHash, entry with { Data = Json("""{"a":2}""") }),
        ];

        Assert.Equal(hashes.Length, hashes.Distinct().Count());
    }

    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.0", "1")]
    [InlineData("10e-1", "1")]
    [InlineData("-0", "0")]
    [InlineData("0.000", "0")]
    [InlineData("1E3", "1000")]
    [InlineData("0.4", "0.4")]
    [InlineData("4e-1", "0.4")]
    [InlineData("-12.3400", "-12.34")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("123456789012345678901", "123456789012345678901")]
    [InlineData("1234567890123456789012", "1.234567890123456789012e+21")]
    [InlineData("12345678901234567890.123456789", "12345678901234567890.123456789")]
    public void Numbers_get_one_spelling_of_their_exact_value(string literal, string canonical)
    {
        Assert.Equal(canonical, AuditChain.CanonicalJson(Json(literal)));
    }

    [Fact]
    public void Numbers_that_differ_only_beyond_double_precision_hash_differently()
    {
        var a = AuditChain.CanonicalJson(Json("12345678901234567890"));
        var b = AuditChain.CanonicalJson(Json("12345678901234567891"));

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Canonical_json_sorts_members_ordinally_keeps_the_last_of_a_repeated_name_and_escapes_only_what_json_requires()
    {
        var value = Json("""{"b":1,"B":2,"a":{"y":null,"x":false},"b":3,"s":"tab\there \"q\" \\ é \u20ac \ud83d\ude00 \u0001"}""");

        Assert.Equal(
            """{"B":2,"a":{"x":false,"y":null},"b":3,"s":"tab\there \"q\" \\ é € 😀 \u0001"}""",
            AuditChain.CanonicalJson(value));
    }

    [Fact]
    public void A_lone_surrogate_keeps_its_escape_instead_of_failing_or_being_replaced()
    {
        Assert.Equal("""["\ud800","x"]""", AuditChain.CanonicalJson(Json("""["\ud800","x"]""")));
        Assert.Equal("""{"\udc00k":"v\\"}""", AuditChain.CanonicalJson(Json("""{"\udc00k":"v\\"}""")));
        var entry = AuditChain.Seal("g", 1, Start, "x", Json("""{"\udc00k":"\ud800"}"""), AuditChain.GenesisHash);
        Assert.Null(AuditChain.Verify([entry]));
    }

    [Fact]
    public void Undefined_data_is_hashed_as_null()
    {
        Assert.Equal("null", AuditChain.CanonicalJson(default));
        var entry = AuditChain.Seal("g", 1, Start, "deleted", default, AuditChain.GenesisHash);
        Assert.Equal(JsonValueKind.Null, entry.Data.ValueKind);
    }

    [Fact]
    public void Time_round_trips_through_its_fixed_format_to_the_tick()
    {
        var time = Start.AddTicks(1234567);

        var text = AuditChain.FormatTime(time);

        Assert.Equal("2026-11-27T08:00:00.1234567Z", text);
        Assert.Equal(time, AuditChain.ParseTime(text));
    }

    [Fact]
    public void Seal_refuses_a_previous_hash_that_is_not_64_lowercase_hex_digits()
    {
        Assert.Throws<ArgumentException>(() => AuditChain.Seal("g", 1, Start, "x", Json("{}"), "abc"));
        Assert.Throws<ArgumentException>(() => AuditChain.Seal("g", 1, Start, "x", Json("{}"), AuditChain.GenesisHash.ToUpperInvariant().Replace('0', 'A')));
    }

    [Fact]
    public void Verify_of_an_intact_chain_is_null_and_of_an_empty_one_too()
    {
        Assert.Null(AuditChain.Verify(Chain(5)));
        Assert.Null(AuditChain.Verify([]));
    }

    [Fact]
    public void Verify_names_an_entry_whose_data_was_altered()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { Data = Json("""{"n":3,"amount":1000000}""") };

        var broken = AuditChain.Verify(chain);

        Assert.NotNull(broken);
        Assert.Equal(3, broken.Seq);
        Assert.Equal(AuditBreakKind.HashMismatch, broken.Kind);
        Assert.StartsWith("hash mismatch:", broken.Reason);
    }

    [Fact]
    public void Verify_names_an_entry_whose_hash_was_altered()
    {
        var chain = Chain(5);
        chain[1] = chain[1] with { Hash = new string('f', 64) };

        var broken = AuditChain.Verify(chain);

        Assert.Equal(new AuditBreak(2, AuditBreakKind.HashMismatch, broken!.Reason), broken);
    }

    [Fact]
    public void Verify_names_the_entry_after_one_altered_and_rehashed()
    {
        var chain = Chain(5);
        var forged = chain[2] with { Data = Json("""{"n":99}""") };
        chain[2] = forged with { Hash = AuditChain.Hash(forged.PrevHash, forged) };

        var broken = AuditChain.Verify(chain);

        Assert.Equal(4, broken!.Seq);
        Assert.Equal(AuditBreakKind.PrevHashMismatch, broken.Kind);
        Assert.StartsWith("prev-hash mismatch:", broken.Reason);
        Assert.Contains("entry #3 hashes to", broken.Reason);
    }

    [Fact]
    public void Verify_names_a_removed_entry_as_the_first_broken_one()
    {
        var chain = Chain(5);
        chain.RemoveAt(2);

        var broken = AuditChain.Verify(chain);

        Assert.Equal(3, broken!.Seq);
        Assert.Equal(AuditBreakKind.Gap, broken.Kind);
        Assert.Equal("gap in seq: entry #3 is missing (#2 is followed by #4)", broken.Reason);
    }

    [Fact]
    public void Verify_names_a_removed_first_entry()
    {
        var chain = Chain(3);
        chain.RemoveRange(0, 2);

        var broken = AuditChain.Verify(chain);

        Assert.Equal(new AuditBreak(1, AuditBreakKind.Gap, "gap in seq: entries #1 to #2 are missing (the chain starts at #3)"), broken);
    }

    [Fact]
    public void Verify_names_a_renumbered_entry_that_closes_a_gap()
    {
        // Removing #3 and renumbering #4 as #3 keeps the numbers, not the links.
        var chain = Chain(5);
        chain.RemoveAt(2);
        chain[2] = chain[2] with { Seq = 3 };

        var broken = AuditChain.Verify(chain);

        Assert.Equal(3, broken!.Seq);
        Assert.Equal(AuditBreakKind.PrevHashMismatch, broken.Kind);
    }

    [Fact]
    public void Verify_names_a_first_entry_that_does_not_start_from_genesis()
    {
        var chain = Chain(2);
        chain[0] = chain[0] with { PrevHash = new string('1', 64) };

        var broken = AuditChain.Verify(chain);

        Assert.Equal(1, broken!.Seq);
        Assert.Equal(AuditBreakKind.PrevHashMismatch, broken.Kind);
        Assert.Contains("genesis", broken.Reason);
    }

    [Fact]
    public void Verify_names_a_repeated_entry_and_one_from_another_goal()
    {
        var repeated = Chain(3);
        repeated.Insert(2, repeated[1]);
        Assert.Equal(AuditBreakKind.OutOfOrder, AuditChain.Verify(repeated)!.Kind);
        Assert.Equal(2, AuditChain.Verify(repeated)!.Seq);

        var foreign = Chain(3);
        foreign[1] = Chain(3, "other")[1];
        Assert.Equal(new AuditBreak(2, AuditBreakKind.ForeignEntry, "foreign entry: it belongs to goal 'other', not 'g'"), AuditChain.Verify(foreign));
    }

    [Fact]
    public void Verifier_checks_page_by_page_and_tracks_the_head()
    {
        var chain = Chain(4);
        var verifier = new AuditChainVerifier();

        Assert.Equal(AuditChain.GenesisHash, verifier.Head);
        Assert.All(chain.Take(2), e => Assert.True(verifier.Add(e)));
        Assert.All(chain.Skip(2), e => Assert.True(verifier.Add(e)));

        Assert.Equal(4, verifier.Count);
        Assert.Equal(4, verifier.LastSeq);
        Assert.Equal(chain[^1].Hash, verifier.Head);
        Assert.Null(verifier.Break);
    }

    [Fact]
    public void Verification_result_says_intact_in_json_and_reads_back()
    {
        var broken = new AuditVerification("g", 3, AuditChain.GenesisHash, new AuditBreak(2, AuditBreakKind.HashMismatch, "hash mismatch: x"));

        var json = JsonSerializer.Serialize(broken, MdlJson.Options);

        Assert.Contains("\"intact\":false", json);
        Assert.Contains("\"kind\":\"hash-mismatch\"", json);
        Assert.Equal(broken, JsonSerializer.Deserialize<AuditVerification>(json, MdlJson.Options));
    }

    /// <summary>A valid chain of <paramref name="count"/> entries of goal <paramref name="goalId"/>.</summary>
    internal static List<AuditEntry> Chain(int count, string goalId = "g")
    {
        var entries = new List<AuditEntry>();
        var prev = AuditChain.GenesisHash;
        for (var seq = 1; seq <= count; seq++)
        {
            var entry = AuditChain.Seal(goalId, seq, Start.AddSeconds(seq), "decision", Json($$"""{"n":{{seq}}}"""), prev);
            entries.Add(entry);
            prev = entry.Hash;
        }

        return entries;
    }

    internal static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
