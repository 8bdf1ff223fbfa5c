using Mdl.Silo.Health;
using Mdl.Silo.Hosting;
using Mdl.Silo.Ingress;
using Mdl.Silo.Telemetry;
using Orleans.Dashboard;

namespace Mdl.Silo;

/// <summary>Builds the silo's web host: Orleans, the HTTP API, the dashboard and health endpoints.</summary>
public static class MdlSiloApp
{
    /// <summary>Builds (does not start) the host from command-line <paramref name="args"/> and the usual configuration sources.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddMdlSilo();
        builder.AddMdlTelemetry();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => MdlJson.Configure(o.SerializerOptions));
        builder.Services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo", tags: ["ready"]);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4 * 1024 * 1024);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapMdlApi();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
