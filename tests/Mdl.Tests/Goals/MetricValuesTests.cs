using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>The small metric map a pending action keeps its expected effects and baselines in.</summary>
public sealed class MetricValuesTests
{
    [Fact]
    public void Setting_adds_a_metric_or_replaces_its_value_and_keeps_the_order_of_adding()
    {
        var values = new MetricValues();

        values["b"] = 1;
        values["a"] = 2;
        values["b"] = 3;

        Assert.Equal([new("b", 3.0), new("a", 2.0)], values.ToArray());
        Assert.Equal(["b", "a"], values.Keys);
        Assert.Equal(2, values.Count);
    }

    [Fact]
    public void Lookups_find_held_metrics_only()
    {
        var values = new MetricValues([new("score", 0.5)]);

        Assert.True(values.ContainsKey("score"));
        Assert.False(values.ContainsKey("Score"));
        Assert.True(values.TryGetValue("score", out var found));
        Assert.Equal(0.5, found);
        Assert.False(values.TryGetValue("depth", out _));
        Assert.Throws<KeyNotFoundException>(() => values["depth"]);
    }

    [Fact]
    public void Removing_drops_only_that_metric_and_may_happen_while_enumerating()
    {
        var values = new MetricValues([new("a", 1), new("b", 2), new("c", 3)]);

        foreach (var (metric, _) in values)
        {
            if (metric != "c")
            {
                Assert.True(values.Remove(metric));
            }
        }

        Assert.False(values.Remove("a"));
        Assert.Equal([new KeyValuePair<string, double>("c", 3)], values.ToArray());
        Assert.True(values.Remove("c"));
        Assert.Equal(0, values.Count);
    }
}
