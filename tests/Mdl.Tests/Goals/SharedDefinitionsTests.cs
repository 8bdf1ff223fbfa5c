using System.Text.Json;
using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>Goals defined from the same document hold one copy of what their definitions share.</summary>
public sealed class SharedDefinitionsTests
{
    private static string Json(GoalDefinition definition) => JsonSerializer.Serialize(definition, MdlJson.Options);

    [Fact]
    public void Definitions_that_differ_only_in_context_share_every_other_part_and_keep_their_own_context()
    {
        var a = SharedDefinitions.Intern(Definitions.Engagement("user-a"));
        var b = SharedDefinitions.Intern(Definitions.Engagement("user-b"));

        Assert.Same(a.Objectives, b.Objectives);
        Assert.Same(a.Metrics, b.Metrics);
        Assert.Same(a.Topics, b.Topics);
        Assert.Same(a.AllowedFunctions, b.AllowedFunctions);
        Assert.Same(a.Budget, b.Budget);
        Assert.Equal("user-a", a.Context!.Value.GetProperty("userId").GetString());
        Assert.Equal("user-b", b.Context!.Value.GetProperty("userId").GetString());
        Assert.Equal(Json(Definitions.Engagement("user-a")), Json(a));
    }

    [Fact]
    public void A_part_that_differs_in_content_is_not_shared()
    {
        var a = SharedDefinitions.Intern(Definitions.Queue());
        var b = SharedDefinitions.Intern(Definitions.Queue() with
        {
            Objectives = [new ObjectiveDefinition { Metric = "queue.depth", Op = "<=", Target = 11, Weight = 1 }],
        });

        Assert.NotSame(a.Objectives, b.Objectives);
        Assert.Equal(11, b.Objectives[0].Target);
        Assert.Same(a.Metrics, b.Metrics);
    }

    [Fact]
    public void A_goal_loaded_from_storage_shares_its_definition_with_a_goal_defined_in_memory()
    {
        var defined = new GoalEngine("g-defined", new GoalState(), new GoalEngineOptions());
        defined.Define(Definitions.Engagement("user-1"), DateTimeOffset.UnixEpoch);

        // As storage hands it back: a copy of its own, equal in content.
        var loaded = new GoalState { Definition = JsonSerializer.Deserialize<GoalDefinition>(Json(Definitions.Engagement("user-2")), MdlJson.Options) };
        var engine = new GoalEngine("g-loaded", loaded, new GoalEngineOptions());

        Assert.Same(defined.State.Definition!.Metrics, engine.State.Definition!.Metrics);
        Assert.Same(defined.State.Definition.Objectives, engine.State.Definition.Objectives);
        Assert.Equal("user-2", engine.State.Definition.Context!.Value.GetProperty("userId").GetString());
    }
}
