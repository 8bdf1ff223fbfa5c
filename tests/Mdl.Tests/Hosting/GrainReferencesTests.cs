using Mdl.Goals;
using Mdl.Tests.Goals;
using Mdl.Topics;

namespace Mdl.Tests.Hosting;

/// <summary>References made once the interface's types are known are the references Orleans's <c>GetGrain</c> makes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainReferencesTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_reference_is_the_one_GetGrain_makes_and_reaches_the_same_grain()
    {
        var goals = new GrainReferences<IGoalGrain>(fixture.Client);
        var ids = new[] { "refs-first", "refs-second", "refs/with/slashes", "refs-ünïcode" };
        foreach (var id in ids)
        {
            var made = (GrainReference)goals.For(id);
            var orleans = (GrainReference)fixture.Client.GetGrain<IGoalGrain>(id);
            Assert.Equal(orleans.GrainId, made.GrainId);
            Assert.Equal(orleans.InterfaceType, made.InterfaceType);
            Assert.Equal(orleans, made);
            Assert.IsType(orleans.GetType(), made);
        }

        // A call through a reference made the quick way reaches the grain the other reference defined.
        await fixture.Client.GetGrain<IGoalGrain>("refs-second").PutDefinitionAsync(Definitions.Queue());
        Assert.NotNull(await goals.For("refs-second").GetSnapshotAsync());
        Assert.Null(await goals.For("refs-never-defined").GetSnapshotAsync());
    }

    [Fact]
    public void Each_interface_keeps_its_own_grain_type()
    {
        var goals = new GrainReferences<IGoalGrain>(fixture.Client);
        var topics = new GrainReferences<ITopicGrain>(fixture.Client);
        goals.For("a");
        topics.For("a");

        Assert.Equal(((GrainReference)fixture.Client.GetGrain<ITopicGrain>("b")).GrainId, ((GrainReference)topics.For("b")).GrainId);
        Assert.NotEqual(((GrainReference)goals.For("b")).GrainId, ((GrainReference)topics.For("b")).GrainId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void A_blank_key_is_refused_before_and_after_the_types_are_known(string key)
    {
        var goals = new GrainReferences<IGoalGrain>(fixture.Client);
        Assert.ThrowsAny<ArgumentException>(() => goals.For(key));
        goals.For("known");
        Assert.ThrowsAny<ArgumentException>(() => goals.For(key));
    }
}
