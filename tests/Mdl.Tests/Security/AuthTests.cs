using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mdl.Goals;
using Mdl.Silo;
using Mdl.Silo.Hosting;
using Mdl.Silo.Security;
using Mdl.Tests.Goals;
using Mdl.Tests.Support;

namespace Mdl.Tests.Security;

/// <summary>API keys with scopes, signed webhooks and the refusal to start unprotected, against a real keyed silo.</summary>
[Collection(KeyedSiloCollection.Name)]
public sealed class AuthTests(KeyedSiloFixture silo)
{
    private const string Observation = """{"kind":"user.activity","data":{"score":0.9}}""";

    private HttpClient Http => silo.Http;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string Detail(JsonElement problem) => problem.GetProperty("detail").GetString()!;

    /// <summary>A defined goal (subscribed to a topic of its own) and that topic.</summary>
    private async Task<(string Id, string Topic)> DefineAsync(string prefix)
    {
        var id = Definitions.NewGoalId(prefix);
        var topic = Definitions.NewGoalId(prefix + ".topic");
        var definition = TestDefinitions.User55Json.Replace("\"catalog.updates\"", $"\"{topic}\"", StringComparison.Ordinal);
        (await Http.SendAsync(KeyedSiloFixture.Request(HttpMethod.Put, $"/api/goals/{id}", silo.AdminKey, definition))).EnsureSuccessStatusCode();
        return (id, topic);
    }

    private async Task<GoalSnapshot> SnapshotAsync(string id)
    {
        var response = await Http.SendAsync(KeyedSiloFixture.Request(HttpMethod.Get, $"/api/goals/{id}", silo.AdminKey));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<GoalSnapshot>(MdlJson.Options))!;
    }

    [Theory]
    [InlineData("GET", "/api/goals")]
    [InlineData("GET", "/api/functions")]
    [InlineData("PUT", "/api/goals/nobody")]
    [InlineData("POST", "/api/goals/nobody/observations")]
    [InlineData("POST", "/api/topics/anything/observations")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/dashboard/")]
    public async Task Requests_without_credentials_get_401_problem_saying_what_to_send(string method, string path)
    {
        var response = await Http.SendAsync(KeyedSiloFixture.Request(new HttpMethod(method), path, key: null, json: method == "GET" ? null : Observation));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey");
        var detail = Detail(await ProblemAsync(response));
        Assert.Contains("Authorization: ApiKey <key>", detail);
        Assert.Contains("X-Api-Key", detail);
    }

    [Fact]
    public async Task Dashboard_challenge_lets_a_browser_ask_for_basic_credentials()
    {
        var response = await Http.GetAsync("/dashboard/");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
    }

    [Fact]
    public async Task Path_no_endpoint_matches_is_404_not_401()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/no/such/path")).StatusCode);
    }

    [Fact]
    public async Task Health_endpoints_stay_open()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health/ready")).StatusCode);
    }

    [Theory]
    [InlineData("ApiKey", "mdl_not-a-key-anyone-was-given-0000000000000")]
    [InlineData("Bearer", "some-token")]
    public async Task Unknown_key_or_scheme_gets_401_saying_why(string scheme, string value)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/goals");
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, value);

        var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var detail = Detail(await ProblemAsync(response));
        Assert.Contains(scheme == "ApiKey" ? "not recognised" : "'Bearer' is not accepted", detail);
    }

    [Theory]
    [InlineData("read", "GET", "/api/goals/{id}", HttpStatusCode.OK)]
    [InlineData("read", "GET", "/api/goals/{id}/decisions", HttpStatusCode.OK)]
    [InlineData("read", "GET", "/api/functions", HttpStatusCode.OK)]
    [InlineData("read", "GET", "/metrics", HttpStatusCode.OK)]
    [InlineData("read", "GET", "/dashboard/", HttpStatusCode.OK)]
    [InlineData("read", "PUT", "/api/goals/{id}", HttpStatusCode.Forbidden)]
    [InlineData("read", "POST", "/api/goals/{id}/observations", HttpStatusCode.Forbidden)]
    [InlineData("read", "POST", "/api/topics/{topic}/observations", HttpStatusCode.Forbidden)]
    [InlineData("read", "POST", "/api/goals/{id}/pause", HttpStatusCode.Forbidden)]
    [InlineData("read", "DELETE", "/api/goals/{id}", HttpStatusCode.Forbidden)]
    [InlineData("write", "GET", "/api/goals/{id}", HttpStatusCode.Forbidden)]
    [InlineData("write", "GET", "/metrics", HttpStatusCode.Forbidden)]
    [InlineData("write", "GET", "/dashboard/", HttpStatusCode.Forbidden)]
    [InlineData("write", "PUT", "/api/goals/{id}", HttpStatusCode.OK)]
    [InlineData("write", "POST", "/api/goals/{id}/observations", HttpStatusCode.Accepted)]
    [InlineData("write", "POST", "/api/topics/{topic}/observations", HttpStatusCode.Accepted)]
    [InlineData("write", "POST", "/api/goals/{id}/pause", HttpStatusCode.OK)]
    [InlineData("write", "POST", "/api/goals/{id}/resume", HttpStatusCode.OK)]
    [InlineData("write", "DELETE", "/api/goals/{id}", HttpStatusCode.NoContent)]
    [InlineData("read,write", "GET", "/api/goals/{id}", HttpStatusCode.OK)]
    [InlineData("read,write", "POST", "/api/goals/{id}/observations", HttpStatusCode.Accepted)]
    [InlineData("admin", "GET", "/api/goals", HttpStatusCode.OK)]
    [InlineData("admin", "GET", "/metrics", HttpStatusCode.OK)]
    [InlineData("admin", "GET", "/dashboard/", HttpStatusCode.OK)]
    [InlineData("admin", "PUT", "/api/goals/{id}", HttpStatusCode.OK)]
    [InlineData("admin", "POST", "/api/goals/{id}/observations", HttpStatusCode.Accepted)]
    [InlineData("admin", "DELETE", "/api/goals/{id}", HttpStatusCode.NoContent)]
    public async Task Each_scope_opens_exactly_its_endpoints(string scope, string method, string template, HttpStatusCode expected)
    {
        var (id, topic) = await DefineAsync("auth-scope");
        var key = scope switch
        {
            "read" => silo.ReadKey,
            "write" => silo.WriteKey,
            "read,write" => silo.ReadWriteKey,
            _ => silo.AdminKey,
        };
        var body = method switch
        {
            "PUT" => TestDefinitions.User55Json.Replace("\"catalog.updates\"", $"\"{topic}\"", StringComparison.Ordinal),
            "POST" when template.EndsWith("/observations", StringComparison.Ordinal) => Observation,
            _ => null,
        };

        var response = await Http.SendAsync(KeyedSiloFixture.Request(
            new HttpMethod(method), template.Replace("{id}", id, StringComparison.Ordinal).Replace("{topic}", topic, StringComparison.Ordinal), key, body));

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Forbidden)
        {
            var detail = Detail(await ProblemAsync(response));
            Assert.Contains(method == "GET" ? "needs the 'read' scope" : "scope", detail);
            Assert.Contains($"has only '{scope}'", detail);
        }
    }

    [Fact]
    public async Task Forbidden_answer_names_the_missing_scope_and_the_keys_own()
    {
        var (id, _) = await DefineAsync("auth-403");

        var response = await Http.SendAsync(KeyedSiloFixture.Request(HttpMethod.Put, $"/api/goals/{id}", silo.ReadKey, TestDefinitions.User55Json));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("This endpoint needs the 'write' scope; API key 'reader' has only 'read'.", Detail(await ProblemAsync(response)));
        Assert.Equal(1, (await SnapshotAsync(id)).Version);
    }

    [Fact]
    public async Task Key_is_also_accepted_in_x_api_key_and_as_the_basic_password()
    {
        var header = new HttpRequestMessage(HttpMethod.Get, "/api/functions");
        header.Headers.Add("X-Api-Key", silo.ReadKey);
        var basic = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:" + silo.ReadKey)));

        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(header)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(basic)).StatusCode);
    }

    [Fact]
    public async Task Signed_webhook_posts_observations_to_a_goal_and_a_topic_without_a_key()
    {
        var (id, topic) = await DefineAsync("auth-hook");

        var toGoal = await Http.SendAsync(silo.Webhook($"/api/goals/{id}/observations", """{"id":"hook-1","kind":"user.activity","data":{"score":0.8}}"""));
        var toTopic = await Http.SendAsync(silo.Webhook($"/api/topics/{topic}/observations", """{"id":"hook-2","kind":"user.activity","data":{"score":0.9}}"""));

        Assert.Equal(HttpStatusCode.Accepted, toGoal.StatusCode);
        Assert.Equal(1, (await toGoal.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        Assert.Equal(HttpStatusCode.Accepted, toTopic.StatusCode);
        var snapshot = await Eventually.WaitAsync(() => SnapshotAsync(id), s => s.ObservationsProcessed == 2, "both webhook observations at the goal");
        Assert.InRange(snapshot.Metrics["engagement.score"], 0.8, 0.9);
    }

    [Fact]
    public async Task Webhook_may_only_post_observations()
    {
        var (id, _) = await DefineAsync("auth-hook-scope");

        var put = silo.Webhook($"/api/goals/{id}", TestDefinitions.User55Json);
        put.Method = HttpMethod.Put;
        var response = await Http.SendAsync(put);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains($"webhook '{KeyedSiloFixture.WebhookName}' may only post observations", Detail(await ProblemAsync(response)));
        Assert.Equal(1, (await SnapshotAsync(id)).Version);
    }

    public static TheoryData<string, string> BadSignatures => new()
    {
        { "wrong secret", "does not match" },
        { "stale timestamp", "replay window" },
        { "future timestamp", "in the future" },
        { "tampered body", "does not match" },
        { "missing signature", "X-Mdl-Signature must be" },
        { "malformed signature", "X-Mdl-Signature must be" },
        { "missing timestamp", "X-Mdl-Timestamp must be" },
        { "unknown source", "names no configured webhook source" },
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task Badly_signed_webhook_gets_401_and_nothing_is_observed(string fault, string expected)
    {
        var (id, _) = await DefineAsync("auth-badhook");
        var path = $"/api/goals/{id}/observations";
        const string Body = """{"kind":"user.activity","data":{"score":0.1}}""";
        var request = fault switch
        {
            "wrong secret" => silo.Webhook(path, Body, secret: "another-secret-of-enough-length"),
            "stale timestamp" => silo.Webhook(path, Body, at: DateTimeOffset.UtcNow.AddMinutes(-6)),
            "future timestamp" => silo.Webhook(path, Body, at: DateTimeOffset.UtcNow.AddMinutes(6)),
            "tampered body" => silo.Webhook(path, Body, sentBody: Body.Replace("0.1", "0.9", StringComparison.Ordinal)),
            _ => silo.Webhook(path, Body),
        };
        switch (fault)
        {
            case "missing signature":
                request.Headers.Remove(WebhookHeaders.Signature);
                break;
            case "malformed signature":
                request.Headers.Remove(WebhookHeaders.Signature);
                request.Headers.Add(WebhookHeaders.Signature, "sha1=abc");
                break;
            case "missing timestamp":
                request.Headers.Remove(WebhookHeaders.Timestamp);
                break;
            case "unknown source":
                request.Headers.Remove(WebhookHeaders.Name);
                request.Headers.Add(WebhookHeaders.Name, "nobody");
                break;
        }

        var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(expected, Detail(await ProblemAsync(response)));
        Assert.Equal(0, (await SnapshotAsync(id)).ObservationsProcessed);
    }

    [Fact]
    public async Task Webhook_inside_the_replay_window_is_accepted()
    {
        var (id, _) = await DefineAsync("auth-window");

        var response = await Http.SendAsync(silo.Webhook($"/api/goals/{id}/observations", Observation, at: DateTimeOffset.UtcNow.AddMinutes(-4)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public void Postgres_mode_without_keys_refuses_to_start_naming_the_setting()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => MdlSiloApp.Build(
        [
            "--Mdl:Storage=postgres",
            "--ConnectionStrings:Mdl=Host=db.invalid;Database=mdl;Username=mdl;Password=x",
            $"--Mdl:HttpPort={FreePorts.Next()}",
        ]));

        Assert.StartsWith("The silo's configuration is not usable", exception.Message);
        Assert.Contains("Mdl__Storage=postgres refuses to start without API keys", exception.Message);
        Assert.Contains("Mdl__ApiKeys__0__Hash", exception.Message);
    }

    [Fact]
    public void Non_loopback_address_without_keys_refuses_to_start()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => MdlSiloApp.Build(
            ["--Mdl:HttpHost=0.0.0.0", $"--Mdl:HttpPort={FreePorts.Next()}", $"--Mdl:DataPath={Path.GetTempPath()}"]));

        Assert.Contains("Mdl__HttpHost=0.0.0.0 would expose the HTTP API beyond this machine without API keys", exception.Message);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("localhost", true)]
    [InlineData("[::1]", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("*", false)]
    public void Embedded_mode_without_keys_is_allowed_only_on_loopback(string? host, bool allowed)
    {
        var options = new MdlSiloOptions { HttpHost = host };

        Assert.Equal(allowed, !options.Problems(connectionString: null).Any());
    }

    [Fact]
    public void Keys_with_a_bad_hash_or_scope_and_short_webhook_secrets_are_named()
    {
        var options = new MdlSiloOptions
        {
            ApiKeys =
            [
                new ApiKeyOptions { Name = "a", Hash = "not-hex", Scopes = ["read"] },
                new ApiKeyOptions { Name = "b", Hash = ApiKeyHash.Of(ApiKeyHash.NewKey()), Scopes = ["root"] },
                new ApiKeyOptions { Name = "b", Hash = ApiKeyHash.Of(ApiKeyHash.NewKey()) },
            ],
            Webhooks = [new WebhookOptions { Name = "w", Secret = "short" }],
        };

        var problems = options.Problems(null).ToList();

        Assert.Contains(problems, p => p.StartsWith("Mdl__ApiKeys__0__Hash must be the 64-hex-digit SHA-256", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Mdl__ApiKeys__1__Scopes has 'root'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Mdl__ApiKeys__2__Name 'b' is used by another key", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Mdl__ApiKeys__2__Scopes__0 must be set", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Mdl__Webhooks__0__Secret must be at least 16 characters", StringComparison.Ordinal));
    }

    [Fact]
    public void Key_hash_is_the_sha256_hex_of_the_key()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeyHash.Of("abc"));
        var key = ApiKeyHash.NewKey();
        Assert.StartsWith("mdl_", key);
        Assert.True(key.Length >= ApiKeyHash.MinKeyLength);
        Assert.NotEqual(key, ApiKeyHash.NewKey());
    }

    [Fact]
    public async Task Hash_api_key_command_prints_the_hash_and_exits()
    {
        var key = ApiKeyHash.NewKey();

        var (code, output, _) = await RunSiloAsync("--hash-api-key", key);
        var (shortCode, _, error) = await RunSiloAsync("--hash-api-key", "too-short");

        Assert.Equal(0, code);
        Assert.Equal(ApiKeyHash.Of(key), output.Trim());
        Assert.Equal(1, shortCode);
        Assert.Contains("--new-api-key", error);
    }

    private static Task<(int Code, string Out, string Err)> RunSiloAsync(params string[] args) => SiloExecutable.RunAsync(args);
}
