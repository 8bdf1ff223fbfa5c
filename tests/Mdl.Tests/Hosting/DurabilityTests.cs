using System.Net.Http.Json;
using System.Text;
using Mdl.Goals;
using Mdl.Silo;
using Mdl.Tests.Goals;
using Mdl.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Hosting;

/// <summary>A silo stopped and a new one started over the same SQLite file finds every goal as it was.</summary>
public sealed class DurabilityTests : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "mdl-durable-" + Guid.NewGuid().ToString("n"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_dataPath, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Restarted_silo_restores_definition_metrics_spend_and_decision_history()
    {
        var id = Definitions.NewGoalId("durable");
        GoalSnapshot before;
        var topic = "catalog.updates";
        await using (var first = await StartAsync())
        {
            var definition = System.Text.Json.JsonSerializer.Serialize(Definitions.Engagement(id), MdlJson.Options);
            (await first.Http.PutAsync($"/api/goals/{id}", new StringContent(definition, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
            (await first.Http.PostAsync($"/api/goals/{id}/observations", new StringContent("""{"id":"o1","kind":"user.activity","data":{"score":0.3}}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
            before = (await Eventually.WaitAsync(
                () => first.Http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{id}", MdlJson.Options),
                s => s!.InFlight.Length == 0 && s.DecisionsMade >= 1,
                "the goal to act"))!;
        }

        await using var second = await StartAsync();
        var after = await second.Http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{id}", MdlJson.Options);

        Assert.Equal(before.Definition.Objectives, after!.Definition.Objectives);
        Assert.Equal(before.Metrics, after.Metrics);
        Assert.Equal(before.Spend.Total, after.Spend.Total);
        Assert.Equal(before.DecisionsMade, after.DecisionsMade);
        Assert.Equal(before.ObservationsProcessed, after.ObservationsProcessed);
        var decisions = await second.Http.GetFromJsonAsync<Mdl.Decisions.DecisionRecord[]>($"/api/goals/{id}/decisions", MdlJson.Options);
        Assert.Equal(before.DecisionsMade, decisions!.Length);

        // The dedupe window survived too: the same observation is a duplicate, and the topic subscription resumed.
        var again = await second.Http.PostAsync($"/api/goals/{id}/observations", new StringContent("""{"id":"o1","kind":"user.activity","data":{"score":0.3}}""", Encoding.UTF8, "application/json"));
        Assert.Contains("\"duplicates\":1", await again.Content.ReadAsStringAsync());
        (await second.Http.PostAsync($"/api/topics/{topic}/observations", new StringContent("""{"kind":"user.activity","data":{"score":0.99}}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await Eventually.WaitAsync(
            () => second.Http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{id}", MdlJson.Options),
            s => s!.ObservationsProcessed == before.ObservationsProcessed + 1,
            "the topic observation after restart");
    }

    private async Task<RunningSilo> StartAsync()
    {
        var http = FreePorts.Next();
        var app = MdlSiloApp.Build(TestSilos.Args(_dataPath, "durability", http), builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        return new RunningSilo(app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") });
    }

    private sealed record RunningSilo(Microsoft.AspNetCore.Builder.WebApplication App, HttpClient Http) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
