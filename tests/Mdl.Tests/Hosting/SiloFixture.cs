using Mdl.Silo;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Hosting;

/// <summary>
/// The real silo host (HTTP API, dashboard, SQLite storage) started in-process on free loopback ports with a throwaway
/// data folder, shared by the test classes of <see cref="SiloCollection"/>.
/// </summary>
public sealed class SiloFixture : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>The data folder (SQLite file).</summary>
    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "mdl-tests-" + Guid.NewGuid().ToString("n"));

    /// <summary>The Orleans gateway port for clients.</summary>
    public int GatewayPort { get; } = FreePorts.Next();

    /// <summary>The silo-to-silo port.</summary>
    public int SiloPort { get; } = FreePorts.Next();

    /// <summary>The HTTP port.</summary>
    public int HttpPort { get; } = FreePorts.Next();

    /// <summary>The HTTP API's base address.</summary>
    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>An HTTP client for the API.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The silo's own cluster client.</summary>
    public IClusterClient Client => _app!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The command-line arguments the silo is started with.</summary>
    public string[] Args =>
    [
        $"--Mdl:DataPath={DataPath}",
        $"--Mdl:SiloPort={SiloPort}",
        $"--Mdl:GatewayPort={GatewayPort}",
        $"--Mdl:HttpPort={HttpPort}",
        $"--Mdl:ClusterId=test-{HttpPort}",
    ];

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        // Warnings only: the silo's information logs would drown the test output.
        _app = MdlSiloApp.Build(Args, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <inheritdoc />
    public Task DisposeAsync() => TestSilos.StopAndDeleteAsync(_app, Http, DataPath);
}

/// <summary>The test classes that share one real silo.</summary>
[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "silo";
}
