using System.Net.Http.Headers;
using Mdl.Silo;
using Mdl.Silo.Security;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Postgres;

/// <summary>
/// A real silo host in postgres mode (the one <c>Mdl__Storage=postgres</c> starts) on free loopback ports, with an admin
/// API key, since postgres mode refuses to run an open API.
/// </summary>
public sealed class PostgresSilo : IAsyncDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "mdl-pg-silo-" + Guid.NewGuid().ToString("n"));

    private PostgresSilo(WebApplication app, HttpClient http, int siloPort)
    {
        App = app;
        Http = http;
        SiloPort = siloPort;
    }

    /// <summary>The host.</summary>
    public WebApplication App { get; }

    /// <summary>An HTTP client for the API, carrying the admin key.</summary>
    public HttpClient Http { get; }

    /// <summary>The silo-to-silo port, as written to the membership table.</summary>
    public int SiloPort { get; }

    /// <summary>The silo's own cluster client.</summary>
    public IClusterClient Client => App.Services.GetRequiredService<IClusterClient>();

    /// <summary>Starts a silo of cluster <paramref name="clusterId"/> on <paramref name="connectionString"/>; the schema is migrated as it starts.</summary>
    public static async Task<PostgresSilo> StartAsync(string connectionString, string clusterId)
    {
        var key = ApiKeyHash.NewKey();
        var httpPort = FreePorts.Next();
        var siloPort = FreePorts.Next();
        string[] args =
        [
            "--Mdl:Storage=postgres",
            $"--ConnectionStrings:Mdl={connectionString}",
            $"--Mdl:SiloPort={siloPort}",
            $"--Mdl:GatewayPort={FreePorts.Next()}",
            $"--Mdl:HttpPort={httpPort}",
            $"--Mdl:ClusterId={clusterId}",
            "--Mdl:HttpHost=127.0.0.1",
            "--Mdl:ApiKeys:0:Name=test",
            $"--Mdl:ApiKeys:0:Hash={ApiKeyHash.Of(key)}",
            "--Mdl:ApiKeys:0:Scopes:0=admin",
        ];
        var app = MdlSiloApp.Build(args, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", key);
        return new PostgresSilo(app, http, siloPort);
    }

    /// <summary>Stops the silo gracefully (it leaves the cluster) and disposes it.</summary>
    public async ValueTask DisposeAsync() => await TestSilos.StopAndDeleteAsync(App, Http, _dataPath);
}
