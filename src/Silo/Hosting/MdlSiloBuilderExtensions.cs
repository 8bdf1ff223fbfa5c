using Mdl.Audit;
using Mdl.Goals;
using Mdl.Hosting;
using Mdl.Silo.Ingress;
using Mdl.Silo.Postgres;
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

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Limits);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddMdlGrains();
        builder.Services.Configure<GoalRecoveryOptions>(o =>
        {
            o.Grace = options.Recovery.Grace;
            o.SweepPeriod = options.Recovery.SweepPeriod;
            o.PageSize = options.Recovery.PageSize;
        });
        builder.Services.AddMdlSecurity(options);
        builder.Services.AddMdlRateLimiting(options.Limits);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();

        builder.WebHost.UseUrls($"http://{options.EffectiveHttpHost}:{options.HttpPort}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.Limits.MaxRequestBodyBytes);

        Action<ISiloBuilder> useStorage;
        if (options.Storage == StorageModes.Postgres)
        {
            // Problems() guarantees the connection string in postgres mode.
            var postgres = connectionString!;
            builder.Services.AddPostgresMigrations(postgres);
            builder.Services.AddPostgresAuditLog(postgres);
            useStorage = silo => silo.UseMdlPostgres(postgres, options);
        }
        else
        {
            var dataPath = Path.GetFullPath(options.DataPath);
            Directory.CreateDirectory(dataPath);
            var database = Path.Combine(dataPath, "mdl.db");
            builder.Services.AddSqliteAuditLog(database);
            useStorage = silo => UseEmbedded(silo, options, database);
        }

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ServiceId = options.ServiceId;
                o.ClusterId = options.ClusterId;
            });
            useStorage(silo);
            if (options.Dashboard)
            {
                silo.AddDashboard();
            }

            // A client call, the goal and the function it calls form one trace.
            silo.AddActivityPropagation();
            silo.UseKubernetesHostingInPod(options, builder.Configuration);
        });

        return builder;
    }

    /// <summary>One machine: localhost clustering, the SQLite file, in-memory push streams and reminders.</summary>
    private static void UseEmbedded(ISiloBuilder silo, MdlSiloOptions options, string database)
    {
        silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
        silo.AddSqliteGrainStorage(StorageNames.Goals, o => o.DatabasePath = database);
        silo.AddSqliteGrainStorage(StorageNames.PubSub, o => o.DatabasePath = database);
        silo.AddMdlPushStreams(StreamNames.Provider);
        silo.UseInMemoryReminderService();
    }
}
