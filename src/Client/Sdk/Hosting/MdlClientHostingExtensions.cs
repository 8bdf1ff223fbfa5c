using Mdl.Goals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;

namespace Mdl.Client;

/// <summary>Registers an Orleans client connected to an Mdl cluster, and <see cref="MdlClient"/> over it.</summary>
public static class MdlClientHostingExtensions
{
    /// <summary>
    /// Adds an Orleans client using the static gateway list of <see cref="MdlClientOptions"/> — or, when
    /// <see cref="MdlClientOptions.ClusterDatabase"/> is set, the cluster's membership table — and a singleton <see cref="MdlClient"/>.
    /// The client connects when the host starts; starting fails after <see cref="MdlClientOptions.ConnectTimeout"/> when no gateway answers.
    /// </summary>
    public static IServiceCollection AddMdlClient(this IServiceCollection services, Action<MdlClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<MdlClientOptions>().ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MdlClientOptions>, MdlClientOptionsValidator>());

        // The clustering provider is chosen here, so the database has to be known now, not only when options resolve.
        var probe = new MdlClientOptions();
        configure?.Invoke(probe);
        var clusterDatabase = probe.UsesClusterDatabase ? probe.ClusterDatabase : null;

        services.AddOrleansClient(client =>
        {
            if (clusterDatabase is not null)
            {
                // The silos' membership table lists the live gateways; re-reading it often lets the client drop a
                // dead silo's gateway and find new ones within seconds.
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = clusterDatabase;
                });
                client.Services.AddOptions<GatewayOptions>().Configure<IOptions<MdlClientOptions>>((o, mdl) =>
                    o.GatewayListRefreshPeriod = mdl.Value.GatewayRefreshPeriod);
            }
            else
            {
                // Gateways are resolved when the client starts, not here: a name that does not resolve fails the start like an unreachable gateway.
                client.UseStaticClustering(gateways => gateways.Configure<IOptions<MdlClientOptions>>((o, mdl) =>
                    o.Gateways = mdl.Value.Gateways.Select(g => GatewayAddress.Parse(g).Resolve().ToGatewayUri()).ToList()));
            }

            client.Services.AddOptions<ClusterOptions>().Configure<IOptions<MdlClientOptions>>((o, mdl) =>
            {
                o.ServiceId = mdl.Value.ServiceId;
                o.ClusterId = mdl.Value.ClusterId;
            });
            client.Services.AddOptions<ClientMessagingOptions>().Configure<IOptions<MdlClientOptions>>((o, mdl) =>
                o.ResponseTimeout = mdl.Value.ResponseTimeout);
            client.Services.AddSingleton<IClientConnectionRetryFilter>(sp => new BoundedConnectionRetryFilter(
                sp.GetRequiredService<IOptions<MdlClientOptions>>().Value, sp.GetService<TimeProvider>() ?? TimeProvider.System));
            client.Services.AddSerializer(serializer => serializer.AddAssembly(typeof(IGoalGrain).Assembly));

            // The caller's trace continues into the goal and the function it calls.
            client.AddActivityPropagation();
        });

        services.TryAddSingleton(sp => new MdlClient(sp.GetRequiredService<IClusterClient>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }
}

/// <summary>Refuses <see cref="MdlClientOptions"/> that cannot work, naming each problem.</summary>
internal sealed class MdlClientOptionsValidator : IValidateOptions<MdlClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, MdlClientOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
