using Mdl.Functions;

namespace Mdl.Tests.Functions;

/// <summary>The grant filter's check that a call names the goal that makes it: the caller's key against the call's goal id.</summary>
public sealed class GrantFilterKeyTests
{
    [Theory]
    [InlineData("user-55")]
    [InlineData("tenant/a/user 55")]
    [InlineData("ünïcode-goal-✓")]
    [InlineData("")]
    public void A_key_is_the_id_it_was_made_from(string id) =>
        Assert.True(FunctionGrantFilter.IsKey(IdSpan.Create(id), id));

    [Theory]
    [InlineData("user-55", "user-56")]
    [InlineData("user-55", "user-5")]
    [InlineData("user-5", "user-55")]
    [InlineData("ünïcode", "unicode")]
    [InlineData("user-55", "USER-55")]
    public void A_key_is_not_another_id(string key, string id) =>
        Assert.False(FunctionGrantFilter.IsKey(IdSpan.Create(key), id));

    [Fact]
    public void Long_ids_compare_as_well()
    {
        var id = new string('g', 300) + "/ü";
        Assert.True(FunctionGrantFilter.IsKey(IdSpan.Create(id), id));
        Assert.False(FunctionGrantFilter.IsKey(IdSpan.Create(id), id[..^1] + "u"));
    }
}
