using System.Collections.Concurrent;
using System.Text;
using Mdl.Tests.Cluster;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Telemetry;

/// <summary>
/// The silo as shipped exports the loop's spans and measurements over OTLP once the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set: a real silo process, and an OTLP/HTTP receiver on loopback that keeps what
/// it is sent.
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"mdl-otlp-{Guid.NewGuid():N}");
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();
    private WebApplication? _receiver;
    private SiloProcess? _silo;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _receiver = builder.Build();
        _receiver.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            _received.Enqueue((signal, body.ToArray()));
            return Results.Ok();
        });
        await _receiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Fact]
    public async Task With_the_standard_endpoint_variable_the_silo_exports_loop_spans_and_metrics_over_otlp()
    {
        var endpoint = _receiver!.Urls.Single();
        var logs = Path.Combine(Path.GetTempPath(), "mdl-cluster-tests", Path.GetFileName(_dataPath));
        Directory.CreateDirectory(logs);
        _silo = SiloProcess.Start("otlp", logs, new Dictionary<string, string>
        {
            ["Mdl__DataPath"] = _dataPath,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        await _silo.WaitReadyAsync(ProcessCluster.StartTimeout);

        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_silo.HttpPort}") })
        {
            var definition = RepositoryFiles.Read("examples", "user-55.json");
            (await http.PutAsync("/api/goals/user-55", new StringContent(definition, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
            (await http.PostAsync("/api/goals/user-55/observations",
                new StringContent("""{"kind":"user.activity","data":{"score":0.2}}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        }

        // OTLP's protobuf carries names as plain UTF-8, so the spans and instruments can be found in the bytes.
        await Eventually.WaitAsync(
            () => Task.FromResult(Received("traces")),
            traces => new[] { "mdl.loop", "mdl.observe", "mdl.orient", "mdl.decide", "mdl.act", "mdl.goal_id", "user-55" }.All(traces.Contains),
            "the loop's spans at the OTLP receiver", Bound);
        await Eventually.WaitAsync(
            () => Task.FromResult(Received("metrics")),
            metrics => new[] { "mdl.stage.duration", "mdl.observe_to_act", "mdl.observations", "mdl.actions", "mdl.goals.active" }.All(metrics.Contains),
            "the Mdl meter's instruments at the OTLP receiver", Bound);
    }

    /// <summary>Everything received for <paramref name="signal"/> so far, as text (the protobuf's strings are readable).</summary>
    private string Received(string signal) =>
        string.Concat(_received.Where(r => r.Path == signal).Select(r => Encoding.UTF8.GetString(r.Body)));
}
