using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Mdl.Streams;

/// <summary>
/// Registers the push stream provider: Orleans persistent streams whose queues wake their pulling agents on enqueue, so a
/// publish is delivered at once and an idle cluster does not poll (see docs/architecture.md, "Streams").
/// </summary>
public static class PushStreamBuilderExtensions
{
    /// <summary>Adds a push stream provider named <paramref name="name"/> to a silo; its queues live in the cluster's memory.</summary>
    public static ISiloBuilder AddMdlPushStreams(this ISiloBuilder builder, string name, Action<PushStreamOptions>? configure = null) =>
        builder
            .ConfigureServices(services => services.TryAddSingleton(TimeProvider.System))
            .AddPersistentStreams(name, PushQueueAdapterFactory.Create, streams =>
        {
            streams.Configure<PushStreamOptions>(options => options.Configure(o => configure?.Invoke(o)));
            streams.ConfigurePullingAgent(agent => agent
                .Configure<IOptionsMonitor<PushStreamOptions>>((o, push) => o.GetQueueMsgsTimerPeriod = push.Get(name).RetryPeriod));
        });

    /// <summary>Adds the push stream provider named <paramref name="name"/> to a client, so it can publish to the silos' queues.</summary>
    public static IClientBuilder AddMdlPushStreams(this IClientBuilder builder, string name, Action<PushStreamOptions>? configure = null) =>
        builder.AddPersistentStreams(name, PushQueueAdapterFactory.Create, streams =>
            streams.Configure<PushStreamOptions>(options => options.Configure(o => configure?.Invoke(o))));
}
