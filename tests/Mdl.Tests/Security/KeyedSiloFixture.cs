using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Mdl.Silo;
using Mdl.Silo.Security;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Security;

/// <summary>
/// A second real silo host with API keys (one per scope), a signed webhook source and a low per-goal observation rate,
/// configured the way an operator would: command-line <c>--Mdl:…</c> keys, hashes only.
/// </summary>
public sealed class KeyedSiloFixture : IAsyncLifetime
{
    /// <summary>The observation requests per second (and burst) one goal may take on this silo.</summary>
    public const int ObservationRate = 5;

    /// <summary>The webhook source's name.</summary>
    public const string WebhookName = "shop";

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "mdl-keyed-" + Guid.NewGuid().ToString("n"));
    private readonly int _httpPort = FreePorts.Next();
    private WebApplication? _app;

    /// <summary>A key with the <c>read</c> scope.</summary>
    public string ReadKey { get; } = ApiKeyHash.NewKey();

    /// <summary>A key with the <c>write</c> scope.</summary>
    public string WriteKey { get; } = ApiKeyHash.NewKey();

    /// <summary>A key with the <c>admin</c> scope.</summary>
    public string AdminKey { get; } = ApiKeyHash.NewKey();

    /// <summary>A key configured with <c>read,write</c> in one entry.</summary>
    public string ReadWriteKey { get; } = ApiKeyHash.NewKey();

    /// <summary>The webhook source's shared secret.</summary>
    public string WebhookSecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    /// <summary>An HTTP client with no credentials.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The command-line arguments the silo is started with.</summary>
    public string[] Args =>
    [
        $"--Mdl:DataPath={_dataPath}",
        $"--Mdl:SiloPort={FreePorts.Next()}",
        $"--Mdl:GatewayPort={FreePorts.Next()}",
        $"--Mdl:HttpPort={_httpPort}",
        $"--Mdl:ClusterId=keyed-{_httpPort}",
        "--Mdl:ApiKeys:0:Name=reader",
        $"--Mdl:ApiKeys:0:Hash={ApiKeyHash.Of(ReadKey)}",
        "--Mdl:ApiKeys:0:Scopes:0=read",
        "--Mdl:ApiKeys:1:Name=writer",
        $"--Mdl:ApiKeys:1:Hash={ApiKeyHash.Of(WriteKey)}",
        "--Mdl:ApiKeys:1:Scopes:0=write",
        "--Mdl:ApiKeys:2:Name=operator",
        $"--Mdl:ApiKeys:2:Hash={ApiKeyHash.Of(AdminKey).ToUpperInvariant()}",
        "--Mdl:ApiKeys:2:Scopes:0=admin",
        "--Mdl:ApiKeys:3:Name=service",
        $"--Mdl:ApiKeys:3:Hash={ApiKeyHash.Of(ReadWriteKey)}",
        "--Mdl:ApiKeys:3:Scopes:0=read,write",
        $"--Mdl:Webhooks:0:Name={WebhookName}",
        $"--Mdl:Webhooks:0:Secret={WebhookSecret}",
        $"--Mdl:Limits:ObservationRequestsPerSecond={ObservationRate}",
    ];

    /// <summary>A request to <paramref name="path"/> carrying <paramref name="key"/> as <c>Authorization: ApiKey</c> (none when null).</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string? key, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", key);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }

    /// <summary>
    /// A webhook POST of <paramref name="body"/> to <paramref name="path"/>, signed at <paramref name="at"/> with
    /// <paramref name="secret"/> (the configured one by default); <paramref name="sentBody"/> replaces the body after signing.
    /// </summary>
    public HttpRequestMessage Webhook(string path, string body, DateTimeOffset? at = null, string? secret = null, string? sentBody = null)
    {
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret ?? WebhookSecret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(sentBody ?? body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebhookHeaders.Name, WebhookName);
        request.Headers.Add(WebhookHeaders.Timestamp, timestamp);
        request.Headers.Add(WebhookHeaders.Signature, "sha256=" + Convert.ToHexStringLower(signature));
        return request;
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _app = MdlSiloApp.Build(Args, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <inheritdoc />
    public Task DisposeAsync() => TestSilos.StopAndDeleteAsync(_app, Http, _dataPath);
}

/// <summary>The test classes that share the keyed silo.</summary>
[CollectionDefinition(Name)]
public sealed class KeyedSiloCollection : ICollectionFixture<KeyedSiloFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "keyed silo";
}
