using System.Net;
using Mdl.Silo;
using Mdl.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Dashboard;

/// <summary><c>Mdl__Dashboard=false</c>: the silo runs without the Orleans dashboard and serves everything else as before.</summary>
public sealed class DashboardSwitchTests : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "mdl-no-dashboard-" + Guid.NewGuid().ToString("n"));
    private readonly int _httpPort = FreePorts.Next();
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private HttpClient? _http;

    public async Task InitializeAsync()
    {
        _app = MdlSiloApp.Build(
            [.. TestSilos.Args(_dataPath, "no-dashboard", _httpPort), "--Mdl:Dashboard=false"],
            builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpPort}") };
    }

    public Task DisposeAsync() => TestSilos.StopAndDeleteAsync(_app, _http, _dataPath);

    [Fact]
    public async Task Without_the_dashboard_its_page_is_not_found_and_the_api_and_health_still_answer()
    {
        using var dashboard = await _http!.GetAsync(new Uri("/dashboard/", UriKind.Relative));
        using var ready = await _http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var functions = await _http.GetAsync(new Uri("/api/functions", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, dashboard.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, functions.StatusCode);
    }
}
