using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mdl.Goals;
using Mdl.Silo.Hosting;
using Mdl.Silo.Ingress;
using Mdl.Tests.Goals;

namespace Mdl.Tests.Security;

/// <summary>Per-goal request rate and body limits on the keyed silo (5 observation requests per second per goal).</summary>
[Collection(KeyedSiloCollection.Name)]
public sealed class LimitsTests(KeyedSiloFixture silo)
{
    private const string Observation = """{"kind":"user.activity","data":{"score":0.9}}""";

    private async Task<string> DefineAsync()
    {
        var id = Definitions.NewGoalId("limits");
        var definition = TestDefinitions.User55Json.Replace("\"catalog.updates\"", $"\"{id}.topic\"", StringComparison.Ordinal);
        (await silo.Http.SendAsync(KeyedSiloFixture.Request(HttpMethod.Put, $"/api/goals/{id}", silo.AdminKey, definition))).EnsureSuccessStatusCode();
        return id;
    }

    private Task<HttpResponseMessage> ObserveAsync(string id) =>
        silo.Http.SendAsync(KeyedSiloFixture.Request(HttpMethod.Post, $"/api/goals/{id}/observations", silo.WriteKey, Observation));

    [Fact]
    public async Task Observation_posts_over_a_goals_rate_get_429_with_retry_after_and_other_goals_are_unaffected()
    {
        var noisy = await DefineAsync();
        var quiet = await DefineAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => ObserveAsync(noisy)));
        var other = await ObserveAsync(quiet);

        var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(30, accepted + refused.Count);
        Assert.InRange(accepted, KeyedSiloFixture.ObservationRate, KeyedSiloFixture.ObservationRate + 5);
        Assert.NotEmpty(refused);
        var first = refused[0];
        Assert.True(first.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {first.Headers.RetryAfter}");
        Assert.Equal("application/problem+json", first.Content.Headers.ContentType?.MediaType);
        var detail = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Contains($"goal '{noisy}' takes at most {KeyedSiloFixture.ObservationRate} observation requests per second", detail);
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);

        var snapshot = await (await silo.Http.SendAsync(KeyedSiloFixture.Request(HttpMethod.Get, $"/api/goals/{noisy}", silo.ReadKey)))
            .Content.ReadFromJsonAsync<GoalSnapshot>(MdlJson.Options);
        Assert.Equal(accepted, snapshot!.ObservationsProcessed);
    }

    [Fact]
    public async Task Refused_credentials_do_not_spend_a_goals_rate()
    {
        var id = await DefineAsync();

        var anonymous = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            silo.Http.SendAsync(KeyedSiloFixture.Request(HttpMethod.Post, $"/api/goals/{id}/observations", key: null, Observation))));
        var allowed = await ObserveAsync(id);

        Assert.All(anonymous, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
    }

    [Fact]
    public async Task Signed_webhook_over_the_body_limit_gets_413()
    {
        var id = await DefineAsync();
        var body = "{\"kind\":\"user.activity\",\"data\":{\"s\":\"" + new string('x', 2 * 1024 * 1024) + "\"}}";

        using var request = silo.Webhook($"/api/goals/{id}/observations", body);

        // Wait for the go-ahead before sending the body, so the 413 is read rather than racing the server's close.
        request.Headers.ExpectContinue = true;
        var response = await silo.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void Limits_are_checked_at_start()
    {
        var options = new MdlSiloOptions
        {
            Limits = new IngressLimits { MaxRequestBodyBytes = 100, MaxDefinitionBytes = 10_000_000, MaxObservationsPerRequest = 0, ObservationRequestsPerSecond = -1 },
        };

        var problems = options.Problems(null).ToList();

        Assert.Contains(problems, p => p.StartsWith("Mdl__Limits__MaxRequestBodyBytes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Mdl__Limits__MaxDefinitionBytes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Mdl__Limits__MaxObservationsPerRequest", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Mdl__Limits__ObservationRequestsPerSecond", StringComparison.Ordinal));
    }
}
