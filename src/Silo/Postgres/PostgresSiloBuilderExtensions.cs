using System.Net;
using Mdl.Silo.Hosting;
using Mdl.Storage;
using Mdl.Streams;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mdl.Silo.Postgres;

/// <summary>Postgres mode: every Orleans provider on ADO.NET over one PostgreSQL database, with the schema this project owns.</summary>
public static class PostgresSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant name of Npgsql, the PostgreSQL driver.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Applies the schema migrations before Orleans starts. Call before <c>UseOrleans</c>: hosted services start in
    /// registration order, and the providers read their queries from the database when the silo starts.
    /// </summary>
    public static IServiceCollection AddPostgresMigrations(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton<PostgresMigrator>();
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<PostgresMigrationService>(sp, connectionString));
        return services;
    }

    /// <summary>
    /// Clustering, grain storage (<see cref="StorageNames.Goals"/>, <see cref="StorageNames.PubSub"/>), reminders and the
    /// durable stream provider <see cref="StreamNames.Provider"/>, all on <paramref name="connectionString"/>; endpoints
    /// and membership timing from <paramref name="options"/>.
    /// </summary>
    public static ISiloBuilder UseMdlPostgres(this ISiloBuilder silo, string connectionString, MdlSiloOptions options)
    {
        var advertised = options.EffectiveAdvertisedIp;

        // Listen on every interface only when other machines must reach us; a loopback-advertised silo stays private.
        silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.Configure<ClusterMembershipOptions>(o => ApplyMembershipTuning(o, options.Membership));

        // Goal state takes a write per acknowledged observation: it group-commits (see GroupCommitGrainStorage).
        // Everything else written rarely keeps Orleans's ADO.NET provider.
        silo.Services.AddGrainStorage(StorageNames.Goals, (services, name) => new GroupCommitGrainStorage(
            name,
            connectionString,
            options.GroupCommit,
            BinaryGrainStorageSerializer.From(services),
            services.GetRequiredService<IActivatorProvider>(),
            services.GetRequiredService<ILogger<GroupCommitGrainStorage>>()));
        silo.AddAdoNetGrainStorage(StorageNames.PubSub, o => ConfigureStorage(o, connectionString));
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });

        var streams = options.Streams;
        silo.AddAdoNetStreams(StreamNames.Provider, configurator =>
        {
            configurator.ConfigureAdoNet(builder => builder.Configure(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
                o.MaxAttempts = streams.MaxAttempts;
                o.VisibilityTimeout = TimeSpan.FromSeconds(streams.VisibilityTimeoutSeconds);
                o.ExpiryTimeout = TimeSpan.FromMinutes(streams.ExpiryMinutes);
                o.DeadLetterEvictionTimeout = TimeSpan.FromDays(streams.DeadLetterDays);
            }));
            configurator.ConfigurePartitioning(streams.Queues);
        });

        return silo;
    }

    /// <summary>Copies <paramref name="tuning"/> onto Orleans's membership options.</summary>
    public static void ApplyMembershipTuning(ClusterMembershipOptions membership, MembershipTuning tuning)
    {
        membership.ProbeTimeout = TimeSpan.FromSeconds(tuning.ProbeTimeoutSeconds);
        membership.NumMissedProbesLimit = tuning.NumMissedProbesLimit;
        membership.NumVotesForDeathDeclaration = tuning.NumVotesForDeathDeclaration;
        membership.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(tuning.DeathVoteExpirationSeconds);
        membership.TableRefreshTimeout = TimeSpan.FromSeconds(tuning.TableRefreshSeconds);
        membership.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(tuning.IAmAlivePublishSeconds);
    }

    private static void ConfigureStorage(OptionsBuilder<AdoNetGrainStorageOptions> storage, string connectionString) =>
        storage.Configure<Serializer>((o, serializer) =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;

            // As in embedded mode, Orleans's binary serializer and not the silo-wide default (Newtonsoft JSON), which
            // ignores [Id]s and cannot round-trip the System.Text.Json elements goal definitions carry.
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        });
}
