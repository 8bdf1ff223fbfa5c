using Mdl.Silo.Health;
using Mdl.Silo.Hosting;
using Mdl.Silo.Ingress;
using Mdl.Silo.Security;
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

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();

        // Who is calling (API key or webhook signature), whether the endpoint's scope allows it, then the per-goal
        // rate: refused callers never spend a goal's budget of requests.
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapMdlApi();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        if (app.Services.GetRequiredService<MdlSiloOptions>().Dashboard)
        {
            app.MapOrleansDashboard(routePrefix: "/dashboard").RequireScope(ApiScopes.Read);
        }

        app.MapPrometheusScrapingEndpoint("/metrics").RequireScope(ApiScopes.Read);
        WarnWhenOpen(app);
        return app;
    }

    private static void WarnWhenOpen(WebApplication app)
    {
        var options = app.Services.GetRequiredService<MdlSiloOptions>();
        if (!options.IsOpen)
        {
            return;
        }

        app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogWarning(
            "No API keys are configured (Mdl:ApiKeys): the HTTP API, dashboard and /metrics answer anyone who can reach " +
            "http://{Host}:{Port} without credentials. That is only allowed on a loopback address in embedded mode; " +
            "add a key (dotnet run --project src/Silo -- --new-api-key) before exposing the silo.",
            options.EffectiveHttpHost,
            options.HttpPort));
    }
}
