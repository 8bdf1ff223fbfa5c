using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mdl.Goals;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;

namespace Mdl.Tests.Security;

/// <summary>
/// A corpus of hostile requests against the real host: each gets a 4xx (never a 5xx), the silo keeps serving, and the
/// goal they aim at is exactly as it was — same version, definition and observation count.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class HostileInputTests(SiloFixture silo)
{
    private const string Valid = """{"kind":"user.activity","data":{"score":0.3}}""";

    private static readonly string Deep = new string('[', 1000) + new string(']', 1000);

    private static readonly string DeepObject = string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000);

    private static readonly string TwoMegabytes = new('x', 2 * 1024 * 1024);

    /// <summary>Name → (method, path template, body, expected status or null for any 4xx). <c>{id}</c> and <c>{topic}</c> are the target's.</summary>
    private static readonly Dictionary<string, (string Method, string Path, byte[]? Body, int? Status)> Corpus = new()
    {
        ["observation: truncated JSON"] = Post("""{"kind":"user.activity","data":{"score":0."""),
        ["observation: JSON nested 1000 deep"] = Post(Deep),
        ["observation: data nested 1000 deep"] = Post("{\"kind\":\"user.activity\",\"data\":" + DeepObject + "}"),
        ["observation: 2 MB string"] = Post("{\"kind\":\"user.activity\",\"data\":{\"s\":\"" + TwoMegabytes + "\"}}", 413),
        ["observation: 200 KB kind"] = Post($$"""{"kind":"{{new string('k', 200_000)}}"}"""),
        ["observation: number for kind"] = Post("""{"kind":42}"""),
        ["observation: string for time"] = Post("""{"kind":"user.activity","time":"yesterday"}"""),
        ["observation: string for data"] = Post("""{"kind":"user.activity","data":"score=1"}"""),
        ["observation: object for the batch's array"] = Post("""{"0":{"kind":"user.activity"}}"""),
        ["observation: NaN literal"] = Post("""{"kind":"user.activity","data":{"score":NaN}}"""),
        ["observation: Infinity literal"] = Post("""{"kind":"user.activity","data":{"score":Infinity}}"""),
        ["observation: -Infinity literal"] = Post("""{"kind":"user.activity","data":{"score":-Infinity}}"""),
        ["observation: 1e400"] = Post("""{"kind":"user.activity","data":{"score":1e400}}"""),
        ["observation: -1e400 in a nested array"] = Post("""{"kind":"user.activity","data":{"s":{"v":[1,-1e400]}}}"""),
        ["observation: unknown field"] = Post("""{"kind":"user.activity","data":{"score":0.3},"surprise":true}"""),
        ["observation: invalid UTF-8"] = Post(Bytes("""{"kind":"user.activity","data":{"s":""", [0xff, 0xfe], "\"}}")),
        ["observation: overlong UTF-8"] = Post(Bytes("""{"kind":"user.""", [0xc0, 0xae], "activity\"}")),
        ["observation: UTF-8 surrogate"] = Post(Bytes("""{"kind":"user.activity","source":""", [0xed, 0xa0, 0x80], "\"}")),
        ["observation: null"] = Post("null"),
        ["observation: null in a batch"] = Post($"[{Valid},null]"),
        ["observation: null data"] = Post("""{"kind":"user.activity","data":null}"""),
        ["observation: empty body"] = Post(""),
        ["observation: []"] = Post("[]"),
        ["observation: 1,001 in one batch"] = Post("[" + string.Join(",", Enumerable.Repeat(Valid, 1001)) + "]"),
        ["observation: valid then malformed in one batch"] = Post($$"""[{{Valid}},{"kind":"user.activity","data":[1]}]"""),
        ["observation: 129-character id"] = Post($$"""{"id":"{{new string('i', 129)}}","kind":"user.activity"}"""),
        ["observation: goal id of 65 characters"] = Post(Valid, path: "/api/goals/" + new string('g', 65) + "/observations"),
        ["observation: goal id with an encoded /"] = Post(Valid, path: "/api/goals/{id}%2Fother/observations"),
        ["observation: goal id with a /"] = Post(Valid, path: "/api/goals/{id}/other/observations"),
        ["observation: goal id with %00"] = Post(Valid, path: "/api/goals/{id}%00/observations"),
        ["observation: goal id with a space"] = Post(Valid, path: "/api/goals/{id}%20x/observations"),
        ["topic: truncated JSON"] = Post("""[{"kind":"user.""", path: "/api/topics/{topic}/observations"),
        ["topic: []"] = Post("[]", path: "/api/topics/{topic}/observations"),
        ["topic: 1,001 in one batch"] = Post("[" + string.Join(",", Enumerable.Repeat(Valid, 1001)) + "]", path: "/api/topics/{topic}/observations"),
        ["topic: 1e400"] = Post("""{"kind":"user.activity","data":{"score":1e400}}""", path: "/api/topics/{topic}/observations"),
        ["topic: name with %00"] = Post(Valid, path: "/api/topics/{topic}%00/observations"),
        ["definition: truncated JSON"] = Put(TestDefinitions.User55Json[..200]),
        ["definition: JSON nested 1000 deep"] = Put(Deep),
        ["definition: context nested 1000 deep"] = Put(With("\"maxInFlight\": 2", $"\"maxInFlight\": 2, \"context\": {DeepObject}")),
        ["definition: 2 MB description"] = Put(With("Keep user #55 engaged without spamming", TwoMegabytes), 413),
        ["definition: 100 KB description (over 64 KB)"] = Put(With("Keep user #55 engaged without spamming", new string('d', 100_000)), 413),
        ["definition: string for a number"] = Put(With("\"target\": 0.6", "\"target\": \"0.6\"")),
        ["definition: \"NaN\" string for a number"] = Put(With("\"target\": 0.6", "\"target\": \"NaN\"")),
        ["definition: object for an array"] = Put(With("\"topics\": [\"{topic}\"]", "\"topics\": {\"0\": \"{topic}\"}")),
        ["definition: string for an array"] = Put(With("\"topics\": [\"{topic}\"]", "\"topics\": \"{topic}\"")),
        ["definition: NaN literal"] = Put(With("\"target\": 0.6", "\"target\": NaN")),
        ["definition: Infinity literal"] = Put(With("\"target\": 0.6", "\"target\": Infinity")),
        ["definition: -Infinity literal"] = Put(With("\"weight\": 1.0", "\"weight\": -Infinity")),
        ["definition: 1e400"] = Put(With("\"target\": 0.6", "\"target\": 1e400")),
        ["definition: -1e400 weight"] = Put(With("\"weight\": 1.0", "\"weight\": -1e400")),
        ["definition: 1e400 in context"] = Put(With("\"maxInFlight\": 2", "\"maxInFlight\": 2, \"context\": {\"x\": 1e400}")),
        ["definition: unknown field"] = Put(With("\"maxInFlight\": 2", "\"maxInFlight\": 2, \"surprise\": true")),
        ["definition: unknown nested field"] = Put(With("\"perDay\": 1.0", "\"perDay\": 1.0, \"perWeek\": 5")),
        ["definition: invalid UTF-8"] = Put(Spliced("engaged", [0xff, 0xfe])),
        ["definition: UTF-8 surrogate"] = Put(Spliced("engaged", [0xed, 0xb0, 0x80])),
        ["definition: null"] = Put("null"),
        ["definition: null objective"] = Put(With("{ \"metric\": \"engagement.score\", \"op\": \">=\", \"target\": 0.6, \"weight\": 1.0 }", "null")),
        ["definition: null metric mapping"] = Put(With("{ \"name\": \"engagement.score\", \"from\": \"user.activity\", \"field\": \"score\", \"aggregate\": \"ewma\" }", "null")),
        ["definition: null topic"] = Put(With("\"topics\": [\"{topic}\"]", "\"topics\": [null]")),
        ["definition: null allowed function"] = Put(With("\"allowedFunctions\": [\"recommend.items\", \"notify.push\"]", "\"allowedFunctions\": [null]")),
        ["definition: null objectives"] = Put(With("\"objectives\": [", "\"objectives\": null, \"x\": [")),
        ["definition: null kind"] = Put(With("\"kind\": \"engagement\"", "\"kind\": null")),
        ["definition: empty body"] = Put(""),
        ["definition: []"] = Put("[]"),
        ["definition: goal id of 65 characters"] = Put(TestDefinitions.User55Json, path: "/api/goals/" + new string('g', 65)),
        ["definition: goal id with %00"] = Put(TestDefinitions.User55Json, path: "/api/goals/{id}%00"),
        ["definition: goal id with an encoded /"] = Put(TestDefinitions.User55Json, path: "/api/goals/{id}%2Fx"),
    };

    public static TheoryData<string> Cases => new(Corpus.Keys);

    private static (string, string, byte[]?, int?) Post(string body, int? status = null, string path = "/api/goals/{id}/observations") =>
        ("POST", path, Encoding.UTF8.GetBytes(body), status);

    private static (string, string, byte[]?, int?) Post(byte[] body) => ("POST", "/api/goals/{id}/observations", body, null);

    private static (string, string, byte[]?, int?) Put(string body, int? status = null, string path = "/api/goals/{id}") =>
        ("PUT", path, Encoding.UTF8.GetBytes(body), status);

    private static (string, string, byte[]?, int?) Put(byte[] body) => ("PUT", "/api/goals/{id}", body, null);

    /// <summary>The target's definition (its topic as <c>{topic}</c>) with <paramref name="from"/> replaced.</summary>
    private static string With(string from, string to)
    {
        var definition = TestDefinitions.User55Json.Replace("\"catalog.updates\"", "\"{topic}\"", StringComparison.Ordinal);
        return definition.Contains(from, StringComparison.Ordinal)
            ? definition.Replace(from, to, StringComparison.Ordinal)
            : throw new ArgumentException($"the definition has no '{from}'", nameof(from));
    }

    /// <summary>The target's definition with <paramref name="raw"/> bytes inserted before <paramref name="at"/>.</summary>
    private static byte[] Spliced(string at, byte[] raw)
    {
        var definition = With(at, at);
        var i = definition.IndexOf(at, StringComparison.Ordinal);
        return Bytes(definition[..i], raw, definition[i..]);
    }

    /// <summary><paramref name="body"/> with every <c>{topic}</c> replaced, byte for byte (the body may be invalid UTF-8 on purpose).</summary>
    private static byte[] WithTopic(byte[] body, string topic)
    {
        var marker = "{topic}"u8;
        var result = new List<byte>(body.Length);
        var rest = body.AsSpan();
        int i;
        while ((i = rest.IndexOf(marker)) >= 0)
        {
            result.AddRange(rest[..i]);
            result.AddRange(Encoding.UTF8.GetBytes(topic));
            rest = rest[(i + marker.Length)..];
        }

        result.AddRange(rest);
        return [.. result];
    }

    private static byte[] Bytes(string before, byte[] raw, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_request_gets_a_4xx_and_changes_nothing(string name)
    {
        var (id, topic) = await DefineAsync();
        var before = await SnapshotAsync(id);
        var (method, path, body, status) = Corpus[name];
        var target = path.Replace("{id}", id, StringComparison.Ordinal).Replace("{topic}", topic, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method), target);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(WithTopic(body, topic));
            request.Content.Headers.ContentType = new("application/json");

            // Wait for the server's go-ahead before sending the body: an over-size body is refused (413) up front,
            // and the client reads that answer instead of racing the server's close with a broken pipe.
            request.Headers.ExpectContinue = true;
        }

        var response = await silo.Http.SendAsync(request);

        var code = (int)response.StatusCode;
        Assert.True(code is >= 400 and < 500, $"{name}: {code} {await response.Content.ReadAsStringAsync()}");
        if (status is { } expected)
        {
            Assert.Equal(expected, code);
        }

        Assert.Equal(HttpStatusCode.OK, (await silo.Http.GetAsync("/health/ready")).StatusCode);
        var after = await SnapshotAsync(id);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.ObservationsProcessed, after.ObservationsProcessed);
        Assert.Equal(JsonSerializer.Serialize(before.Definition, MdlJson.Options), JsonSerializer.Serialize(after.Definition, MdlJson.Options));
    }

    [Fact]
    public async Task Duplicate_ids_in_one_batch_are_one_observation_and_one_duplicate()
    {
        var (id, _) = await DefineAsync();
        var before = await SnapshotAsync(id);

        var response = await silo.Http.PostAsync(
            $"/api/goals/{id}/observations",
            Json("""[{"id":"twice","kind":"user.activity","data":{"score":0.9}},{"id":"twice","kind":"user.activity","data":{"score":0.1}}]"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var receipt = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, receipt.GetProperty("accepted").GetInt32());
        Assert.Equal(1, receipt.GetProperty("duplicates").GetInt32());
        var after = await SnapshotAsync(id);
        Assert.Equal(before.ObservationsProcessed + 1, after.ObservationsProcessed);
        Assert.Equal(0.9, after.Metrics["engagement.score"], 6);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<(string Id, string Topic)> DefineAsync()
    {
        var id = Definitions.NewGoalId("hostile");
        var topic = Definitions.NewGoalId("hostile.topic");
        var definition = TestDefinitions.User55Json.Replace("\"catalog.updates\"", $"\"{topic}\"", StringComparison.Ordinal);
        (await silo.Http.PutAsync($"/api/goals/{id}", Json(definition))).EnsureSuccessStatusCode();
        return (id, topic);
    }

    private async Task<GoalSnapshot> SnapshotAsync(string id) =>
        (await silo.Http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{id}", MdlJson.Options))!;
}
