using Mdl.Audit;
using Mdl.Hosting;
using Mdl.Silo.Ingress;
using Mdl.Silo.Security;
using Mdl.Storage;
using Mdl.Streams;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Mdl.Silo.Hosting;

/// <summary>Sets up an Mdl silo in a web host: Orleans, storage, streams, the dashboard and the loop's services.</summary>
public static class MdlSiloBuilderExtensions
{
    /// <summary>
    /// Reads and validates <see cref="MdlSiloOptions"/>, then configures Orleans for the chosen mode.
    /// Throws <see cref="InvalidOperationException"/> with what to set when the configuration cannot work.
    /// </summary>
    public static WebApplicationBuilder AddMdlSilo(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(MdlSiloOptions.Section).Get<MdlSiloOptions>() ?? new MdlSiloOptions();
        var connectionString = builder.Configuration.GetConnectionString("Mdl");
        var problems = options.Problems(connectionString).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The silo's configuration is not usable:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems));
        }

        if (options.Storage == StorageModes.Postgres)
        {
            throw new InvalidOperationException(
                "Mdl__Storage=postgres is not available in this build yet; run the embedded default (Mdl__Storage=embedded).");
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Limits);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddMdlGrains();
        builder.Services.AddMdlSecurity(options);
        builder.Services.AddMdlRateLimiting(options.Limits);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();

        builder.WebHost.UseUrls($"http://{options.EffectiveHttpHost}:{options.HttpPort}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.Limits.MaxRequestBodyBytes);

        var dataPath = Path.GetFullPath(options.DataPath);
        Directory.CreateDirectory(dataPath);
        var database = Path.Combine(dataPath, "mdl.db");
        builder.Services.AddSqliteAuditLog(database);

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ServiceId = options.ServiceId;
                o.ClusterId = options.ClusterId;
            });
            silo.AddSqliteGrainStorage(StorageNames.Goals, o => o.DatabasePath = database);
            silo.AddSqliteGrainStorage(StorageNames.PubSub, o => o.DatabasePath = database);
            silo.AddMdlPushStreams(StreamNames.Provider);
            silo.UseInMemoryReminderService();
            silo.AddDashboard();

            // A client call, the goal and the function it calls form one trace.
            silo.AddActivityPropagation();
        });

        return builder;
    }
}
