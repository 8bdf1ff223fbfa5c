using Mdl.Audit;
using Mdl.Bench.Functions;
using Mdl.Bench.Storage;
using Mdl.Goals;
using Mdl.Hosting;
using Mdl.Storage;
using Mdl.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Serialization.Session;
using Orleans.Storage;

namespace Mdl.Bench.Hosting;

/// <summary>
/// A real silo (its own host, on free loopback ports) with the loop's services, memory storage, the product's push streams and
/// in-memory reminders, and a separate Orleans client host connected to the silo's gateway. Both live in this process.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly IHost _silo;
    private readonly IHost _client;
    private readonly OutcomeListener _outcomes = new();
    private bool _clientStopped;

    private BenchCluster(IHost silo, IHost client)
    {
        _silo = silo;
        _client = client;
    }

    /// <summary>The client's view of the cluster: every client-side measurement goes through it.</summary>
    public IClusterClient Client => _client.Services.GetRequiredService<IClusterClient>();

    /// <summary>The silo's services (its serializer, for sizing stored state).</summary>
    public IServiceProvider SiloServices => _silo.Services;

    /// <summary>Starts the silo, then the client.</summary>
    /// <param name="memoryStreams">
    /// Orleans's memory streams, which poll their queues, instead of the product's push streams (<c>AddMdlPushStreams</c>).
    /// </param>
    /// <param name="streamPullPeriod">The memory streams' pulling period; null keeps Orleans's default (100 ms).</param>
    /// <param name="sqlitePath">
    /// Null for in-process storage and no audit log (the goals then skip auditing); else the product's embedded mode in this
    /// file: SQLite grain storage (WAL, <c>synchronous=FULL</c>) and the SQLite audit log, to see what the disk adds.
    /// </param>
    /// <param name="orleansMemoryStorage">
    /// Without SQLite: Orleans's memory grain storage (a storage grain call per write, copies in 8 KB+ buffers) rather
    /// than <see cref="HeapGrainStorage"/>; how the harness measured before the heap storage.
    /// </param>
    /// <param name="goalOptions">Changes to the goals' options (history size and batching); none keeps the product's defaults.</param>
    public static async Task<BenchCluster> StartAsync(
        bool memoryStreams, TimeSpan? streamPullPeriod, string? sqlitePath = null, Action<GoalEngineOptions>? goalOptions = null, bool orleansMemoryStorage = false)
    {
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        var clusterId = $"bench-{gatewayPort}";
        const string serviceId = "mdl-bench";

        var siloBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Quiet(siloBuilder.Logging);
        siloBuilder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: serviceId, clusterId: clusterId);

            if (sqlitePath is null && !orleansMemoryStorage)
            {
                // The product's serialisation, kept in this process: see HeapGrainStorage.
                foreach (var name in new[] { StorageNames.Goals, StorageNames.PubSub })
                {
                    silo.Services.AddGrainStorage(name, (services, _) =>
                        new HeapGrainStorage(BinaryGrainStorageSerializer.From(services)));
                }
            }
            else if (sqlitePath is null)
            {
                // The product's embedded storage serialises state with Orleans's binary serializer (SqliteStorageExtensions);
                // the memory storage here does the same, so a write costs what the product's serialisation costs, minus the disk.
                silo.AddMemoryGrainStorage(StorageNames.Goals, o => o.Configure<Serializer, SerializerSessionPool>((options, serializer, sessions) =>
                    options.GrainStorageSerializer = new BinaryGrainStorageSerializer(serializer, sessions)));
                silo.AddMemoryGrainStorage(StorageNames.PubSub, o => o.Configure<Serializer, SerializerSessionPool>((options, serializer, sessions) =>
                    options.GrainStorageSerializer = new BinaryGrainStorageSerializer(serializer, sessions)));
            }
            else
            {
                // The product's embedded mode: grain state, subscriptions and the audit log in one SQLite file.
                silo.AddSqliteGrainStorage(StorageNames.Goals, o => o.DatabasePath = sqlitePath);
                silo.AddSqliteGrainStorage(StorageNames.PubSub, o => o.DatabasePath = sqlitePath);
                silo.Services.AddSqliteAuditLog(sqlitePath);
            }

            // Wrap whichever provider was registered for goals; registered last, this keyed registration is the one grains resolve.
            var registered = silo.Services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Goals));
            silo.Services.AddGrainStorage(StorageNames.Goals, (services, name) =>
                new SignallingGrainStorage((IGrainStorage)registered.KeyedImplementationFactory!(services, name)));

            if (memoryStreams)
            {
                silo.AddMemoryStreams(StreamNames.Provider, streams =>
                {
                    if (streamPullPeriod is { } period)
                    {
                        streams.ConfigurePullingAgent(agent => agent.Configure(o => o.GetQueueMsgsTimerPeriod = period));
                    }
                });
            }
            else
            {
                silo.AddMdlPushStreams(StreamNames.Provider);
            }

            silo.UseInMemoryReminderService();
            silo.Services.AddMdlGrains(goalOptions).AddMdlFunction<BenchActFunction>();
        });
        var siloHost = siloBuilder.Build();
        await siloHost.StartAsync();

        var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Quiet(clientBuilder.Logging);
        clientBuilder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort, serviceId, clusterId);
            if (memoryStreams)
            {
                client.AddMemoryStreams(StreamNames.Provider);
            }
            else
            {
                client.AddMdlPushStreams(StreamNames.Provider);
            }
        });
        var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();

        return new BenchCluster(siloHost, clientHost);
    }

    /// <summary>Stops the client host, so what the process still spends is the silo's alone.</summary>
    public async Task StopClientAsync()
    {
        if (!_clientStopped)
        {
            _clientStopped = true;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _client.StopAsync(stop.Token);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopClientAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _silo.StopAsync(stop.Token);
        _client.Dispose();
        _silo.Dispose();
        _outcomes.Dispose();
    }

    private static void Quiet(ILoggingBuilder logging)
    {
        // Warnings and errors only, counted rather than printed: information logs would cost CPU inside the measurements.
        logging.ClearProviders();
        logging.AddProvider(new CountingLoggerProvider());
        logging.SetMinimumLevel(LogLevel.Warning);
    }
}
