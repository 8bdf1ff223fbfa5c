using System.Text.Json;
using Mdl.Functions;
using Mdl.Scenarios.Engagement;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;

namespace Mdl.Tests.Scenarios.Engagement;

/// <summary><c>recommend.items</c>: items the user has not seen, and nothing (not a failure) once they have seen them all.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RecommendItemsFunctionTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_user_who_has_seen_every_item_gets_a_success_with_no_items_not_a_failure_that_would_open_the_shared_circuit()
    {
        var userId = Definitions.NewGoalId("recommend");
        var function = new RecommendItemsFunction(fixture.Client);
        var catalog = await fixture.Client.GetGrain<IItemCatalogGrain>("default").ListAsync();

        var first = await function.InvokeAsync(Call(userId, 1, count: 10), CancellationToken.None);
        Assert.True(first.Succeeded, first.Error);
        Assert.Equal(Math.Min(10, catalog.Length), Items(first).Length);

        // Whatever the first call left unseen, the next calls recommend, until nothing is left.
        for (var seq = 2; seq <= catalog.Length + 1; seq++)
        {
            var next = await function.InvokeAsync(Call(userId, seq, count: 10), CancellationToken.None);
            Assert.True(next.Succeeded, next.Error);
            if (Items(next).Length == 0)
            {
                break;
            }
        }

        var seen = (await fixture.Client.GetGrain<IUserInboxGrain>(userId).GetAsync()).SeenItems;
        Assert.Equal(catalog.Select(item => item.Id).Order(), seen.Order());

        var exhausted = await function.InvokeAsync(Call(userId, 99, count: 3), CancellationToken.None);
        Assert.True(exhausted.Succeeded, exhausted.Error);
        Assert.Empty(Items(exhausted));
        Assert.Contains("seen every catalog item", exhausted.Output!.Value.GetProperty("note").GetString());
    }

    private static FunctionCall Call(string userId, long seq, int count) => new()
    {
        Function = RecommendItemsFunction.Name,
        GoalId = userId,
        IdempotencyKey = $"{userId}/{seq}",
        DecisionSeq = seq,
        Arguments = JsonSerializer.SerializeToElement(new { goalId = userId, decisionSeq = seq, count }),
        Grants = ["recommend"],
    };

    private static string[] Items(FunctionResult result) =>
        [.. result.Output!.Value.GetProperty("items").EnumerateArray().Select(item => item.GetString()!)];
}
