using Mdl.Audit;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Hosting;
using Mdl.Storage;
using Mdl.Streams;
using Mdl.Tests.Decisions;
using Mdl.Tests.Goals;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Mdl.Tests.Hosting;

/// <summary>An in-process Orleans test cluster of one silo, as its subclass configures it, for a test class or collection to share.</summary>
public abstract class OneSiloCluster : IAsyncLifetime
{
    /// <summary>The cluster.</summary>
    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>A client of the cluster.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        Configure(builder);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>Adds the silo's (and the client's) configurators.</summary>
    protected abstract void Configure(TestClusterBuilder builder);

    /// <summary>What every test silo of the loop has: memory storage for goals and subscriptions, push streams, in-memory reminders.</summary>
    protected static ISiloBuilder LoopBasics(ISiloBuilder siloBuilder) => siloBuilder
        .AddMemoryGrainStorage(StorageNames.Goals)
        .AddMemoryGrainStorage(StorageNames.PubSub)
        .AddMdlPushStreams(StreamNames.Provider)
        .UseInMemoryReminderService();
}

/// <summary>An in-process Orleans test cluster with the loop's grains, memory storage, the product's push streams and the test functions.</summary>
public sealed class ClusterFixture : OneSiloCluster
{
    /// <inheritdoc />
    protected override void Configure(TestClusterBuilder builder)
    {
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddActivityPropagation().AddMdlPushStreams(StreamNames.Provider);
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            LoopBasics(siloBuilder)
                .AddActivityPropagation()
                .ConfigureServices(services => services
                    .AddMdlGrains()
                    .AddInMemoryAuditLog()
                    .AddMdlFunction<DrainFunction>()
                    .AddMdlFunction<BoostFunction>()
                    .AddMdlFunction<CountedFunction>()
                    .AddMdlFunction<TracedFunction>()
                    .AddMdlFunction<PacedFunction>()
                    .AddSingleton<IDecisionPolicy, SlowPolicy>()
                    .AddMdlFunction<BrokenFunction>()
                    .AddMdlFunction<FlakyFunction>()
                    .AddMdlFunction<WobblyFunction>()
                    .Configure<FunctionResilienceOptions>(o =>
                    {
                        o.BreakDuration = TimeSpan.FromSeconds(1);
                        o.RetryDelay = TimeSpan.FromMilliseconds(1);
                    }));
        }
    }
}

/// <summary>The test classes that share one test cluster.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "cluster";
}
