using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mdl.Tests.Hosting;

namespace Mdl.Tests.Security;

/// <summary>The embedded default with no API keys (the shared <see cref="SiloFixture"/>): open on loopback, yet presented credentials are checked.</summary>
[Collection(SiloCollection.Name)]
public sealed class OpenModeTests(SiloFixture silo)
{
    [Fact]
    public async Task Keyless_loopback_silo_answers_without_credentials()
    {
        Assert.Equal(HttpStatusCode.OK, (await silo.Http.GetAsync("/api/functions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await silo.Http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Keyless_silo_still_refuses_a_key_it_does_not_know()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/functions");
        request.Headers.Add("X-Api-Key", "mdl_a-key-this-silo-never-configured-000000");

        var response = await silo.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not recognised", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Keyless_silo_refuses_a_webhook_it_has_no_secret_for()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/goals/anything/observations")
        {
            Content = JsonContent.Create(new { kind = "user.activity" }),
        };
        request.Headers.Add("X-Mdl-Webhook", "unknown");

        var response = await silo.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
