using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;

namespace Mdl.Tests.Json;

/// <summary>
/// JSON values cross the wire and go to storage through <see cref="JsonElementCodec"/>, in the form
/// <see cref="JsonElementSurrogate"/> defines: states and messages written before the codec load, and what it writes loads
/// as the surrogate did, byte for byte, reference numbering included.
/// </summary>
public sealed class JsonElementCodecTests
{
    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(serializer => serializer
            .AddAssembly(typeof(JsonElementSurrogate).Assembly)
            .AddAssembly(typeof(JsonElementCodecTests).Assembly))
        .BuildServiceProvider();

    private static readonly Serializer Serializer = Services.GetRequiredService<Serializer>();

    private static readonly string[] Tags = ["shared", "array"];

    [Fact]
    public void Elements_are_written_as_the_surrogate_wrote_them_and_later_references_keep_their_ids()
    {
        var (elements, surrogates) = Twins("""{"value":0.5,"note":"ünïcode"}""", "[1,2,3]");

        var written = Serializer.SerializeToArray(elements);

        Assert.Equal(Serializer.SerializeToArray(surrogates), written);

        // The repeated array is written as a reference to the first: its id counts the elements before it.
        var asSurrogates = Serializer.Deserialize<WithSurrogates>(written)!;
        Assert.Same(asSurrogates.Tags, asSurrogates.TagsAgain);
        Assert.Equal(Tags, asSurrogates.TagsAgain);
        Assert.Equal(surrogates.First.Utf8, asSurrogates.First.Utf8);
        Assert.Null(asSurrogates.Missing.Utf8);
    }

    [Fact]
    public void What_the_surrogate_wrote_loads_as_elements()
    {
        var (_, surrogates) = Twins("""{"a":[true,null]}""", "\"text\"");

        var loaded = Serializer.Deserialize<WithElements>(Serializer.SerializeToArray(surrogates))!;

        Assert.Equal("""{"a":[true,null]}""", loaded.First.GetRawText());
        Assert.Equal("\"text\"", loaded.Second.GetRawText());
        Assert.Equal(JsonValueKind.Undefined, loaded.Missing.ValueKind);
        Assert.Same(loaded.Tags, loaded.TagsAgain);
    }

    [Fact]
    public void Elements_split_across_the_buffers_of_a_message_load_the_same_and_references_after_them_hold()
    {
        // A message arrives as a sequence of buffers: an element's bytes may lie in one of them (parsed in place) or span
        // several (copied out first). Every split point, from 1-byte buffers up.
        var (elements, _) = Twins("""{"value":0.5,"note":"ünïcode","list":[1,2,3,4,5,6,7,8]}""", "[1,2,3]");
        var written = Serializer.SerializeToArray(elements);

        for (var size = 1; size <= written.Length; size += 3)
        {
            var loaded = Serializer.Deserialize<WithElements>(Segments.Of(written, size))!;

            Assert.Equal(elements.First.GetRawText(), loaded.First.GetRawText());
            Assert.Equal("[1,2,3]", loaded.Second.GetRawText());
            Assert.Equal(JsonValueKind.Undefined, loaded.Missing.ValueKind);
            Assert.Same(loaded.Tags, loaded.TagsAgain);
            Assert.Equal(Tags, loaded.TagsAgain);
        }
    }

    [Fact]
    public void An_optional_element_round_trips_absent_and_present()
    {
        var present = new WithOptional { Output = JsonElement.Parse("""{"ok":1}"""), After = "after" };
        var absent = new WithOptional { Output = null, After = "after" };

        var presentCopy = Serializer.Deserialize<WithOptional>(Serializer.SerializeToArray(present))!;
        var absentCopy = Serializer.Deserialize<WithOptional>(Serializer.SerializeToArray(absent))!;

        Assert.Equal("""{"ok":1}""", presentCopy.Output!.Value.GetRawText());
        Assert.Null(absentCopy.Output);
        Assert.Equal("after", presentCopy.After);
    }

    [Fact]
    public void A_copy_outlives_the_pooled_document_it_was_taken_from()
    {
        var copier = Services.GetRequiredService<DeepCopier>();
        JsonElement copy;
        using (var pooled = JsonDocument.Parse("""{"kept":[1,2]}"""))
        {
            copy = copier.Copy(pooled.RootElement);
        }

        Assert.Equal("""{"kept":[1,2]}""", copy.GetRawText());
        Assert.Equal(JsonValueKind.Undefined, copier.Copy(default(JsonElement)).ValueKind);
    }

    private static (WithElements Elements, WithSurrogates Surrogates) Twins(string first, string second)
    {
        var elements = new WithElements { First = JsonElement.Parse(first), Tags = Tags, Second = JsonElement.Parse(second), TagsAgain = Tags };
        var surrogates = new WithSurrogates
        {
            First = new() { Utf8 = System.Text.Encoding.UTF8.GetBytes(first) },
            Tags = Tags,
            Second = new() { Utf8 = System.Text.Encoding.UTF8.GetBytes(second) },
            TagsAgain = Tags,
            Missing = new() { Utf8 = null },
        };
        return (elements, surrogates);
    }
}

/// <summary>JSON values between references, as states and messages hold them.</summary>
[GenerateSerializer, Alias("mdl.test.WithElements")]
public sealed class WithElements
{
    [Id(0)] public JsonElement First { get; set; }

    [Id(1)] public string[] Tags { get; set; } = [];

    [Id(2)] public JsonElement Second { get; set; }

    [Id(3)] public JsonElement Missing { get; set; }

    [Id(4)] public string[] TagsAgain { get; set; } = [];
}

/// <summary>The same fields in the surrogate's form: how every JSON value was written before <see cref="JsonElementCodec"/>.</summary>
[GenerateSerializer, Alias("mdl.test.WithSurrogates")]
public sealed class WithSurrogates
{
    [Id(0)] public JsonElementSurrogate First { get; set; }

    [Id(1)] public string[] Tags { get; set; } = [];

    [Id(2)] public JsonElementSurrogate Second { get; set; }

    [Id(3)] public JsonElementSurrogate Missing { get; set; }

    [Id(4)] public string[] TagsAgain { get; set; } = [];
}

/// <summary>An optional value, as a function's result holds its output.</summary>
[GenerateSerializer, Alias("mdl.test.WithOptional")]
public sealed class WithOptional
{
    [Id(0)] public JsonElement? Output { get; set; }

    [Id(1)] public string After { get; set; } = "";
}

/// <summary>A byte array as a sequence of buffers of one size, as a message read from a socket may be.</summary>
internal sealed class Segments : System.Buffers.ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static System.Buffers.ReadOnlySequence<byte> Of(byte[] bytes, int size)
    {
        var first = new Segments(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
        var last = first;
        for (var at = size; at < bytes.Length; at += size)
        {
            var next = new Segments(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            last.Next = next;
            last = next;
        }

        return new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
