using Mdl.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mdl.Silo.Telemetry;

/// <summary>OpenTelemetry for the silo: the <c>Mdl</c> meter on <c>/metrics</c>, and traces over OTLP when configured.</summary>
public static class TelemetryExtensions
{
    /// <summary>The standard variable that switches OTLP export on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Metrics from the loop, Orleans and ASP.NET Core, served for Prometheus at <c>/metrics</c> and exported over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Traces (the loop's spans, Orleans's grain calls, HTTP requests) are
    /// collected only when OTLP is on: with no listener the loop's spans cost nothing.
    /// </summary>
    public static WebApplicationBuilder AddMdlTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName: "mdl-silo"))
            .WithMetrics(metrics => metrics
                .AddMeter(MdlTelemetry.Name, "Microsoft.Orleans")
                .AddAspNetCoreInstrumentation()
                .AddPrometheusExporter());
        if (otlp)
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(MdlTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                    .AddAspNetCoreInstrumentation())
                .UseOtlpExporter();
        }

        return builder;
    }
}
