using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>Goal definitions the cluster and API tests share.</summary>
public static class Definitions
{
    /// <summary>Keeps <c>queue.depth</c> (last <c>queue.sample</c>'s <c>depth</c>) at or under 10 with <c>test.drain</c>.</summary>
    public static GoalDefinition Queue(int maxInFlight = 1, double? perDay = null, string[]? topics = null, string[]? functions = null) => new()
    {
        Kind = "queue",
        Description = "Keep the queue short",
        Objectives = [new ObjectiveDefinition { Metric = "queue.depth", Op = "<=", Target = 10, Weight = 1 }],
        Metrics = [new MetricMapping { Name = "queue.depth", From = "queue.sample", Field = "depth", Aggregate = "last" }],
        Topics = topics ?? [],
        AllowedFunctions = functions ?? ["test.drain"],
        Budget = perDay is null ? null : new GoalBudget { PerDay = perDay },
        MaxInFlight = maxInFlight,
    };

    /// <summary>The seed's user #55 engagement goal (DESIGN §5).</summary>
    public static GoalDefinition Engagement(string userId = "55") => new()
    {
        Kind = "engagement",
        Description = $"Keep user #{userId} engaged without spamming",
        Objectives =
        [
            new ObjectiveDefinition { Metric = "engagement.score", Op = ">=", Target = 0.6, Weight = 1.0 },
            new ObjectiveDefinition { Metric = "notifications.today", Op = "<=", Target = 3, Weight = 0.5 },
        ],
        Metrics =
        [
            new MetricMapping { Name = "engagement.score", From = "user.activity", Field = "score", Aggregate = "ewma" },
            new MetricMapping { Name = "notifications.today", From = "action.result", Function = "notify.push", Aggregate = "count", Window = "P1D" },
        ],
        Topics = ["catalog.updates"],
        AllowedFunctions = ["recommend.items", "notify.push"],
        Budget = new GoalBudget { PerDay = 1.0 },
        DeadlineMs = 500,
        MaxInFlight = 2,
        Context = System.Text.Json.JsonSerializer.SerializeToElement(new { userId }),
    };

    /// <summary>A fresh goal id.</summary>
    public static string NewGoalId(string prefix) => $"{prefix}-{Guid.NewGuid():n}"[..Math.Min(64, prefix.Length + 33)];
}
