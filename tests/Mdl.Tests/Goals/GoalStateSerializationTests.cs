using Mdl.Goals;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Mdl.Tests.Goals;

/// <summary>What a goal writes on every change survives Orleans's serializer, including states written before the dedupe window became one block.</summary>
public sealed class GoalStateSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(serializer => serializer
            .AddAssembly(typeof(GoalState).Assembly)
            .AddAssembly(typeof(JsonElementSurrogate).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    [Fact]
    public void The_dedupe_window_round_trips_in_order()
    {
        var state = new GoalState { RecentObservationIds = ["a", "", "ünïcode/1", new string('x', 300)] };

        var copy = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(state));

        Assert.Equal(state.RecentObservationIds, copy!.RecentObservationIds);
    }

    [Fact]
    public void A_state_with_the_dedupe_window_as_separate_strings_still_loads_it()
    {
        var old = new LegacyGoalState { RecentObservationIds = ["o1", "o2"] };

        var loaded = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(old));

        Assert.Equal(["o1", "o2"], loaded!.RecentObservationIds);
    }
}

/// <summary>The field the dedupe window was stored in before (id 4, a list of strings).</summary>
[GenerateSerializer, Alias("mdl.GoalState.legacy-test")]
public sealed class LegacyGoalState
{
    [Id(4)] public List<string> RecentObservationIds { get; set; } = [];
}
