using Mdl.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting.Kubernetes;
using Orleans.Runtime;

namespace Mdl.Tests.Hosting;

/// <summary>When the silo turns on Orleans's Kubernetes hosting, and that it then really registers it.</summary>
public sealed class KubernetesHostingTests
{
    [Theory]
    [InlineData(StorageModes.Postgres, "10.96.0.1", true)]
    [InlineData(StorageModes.Postgres, null, false)]
    [InlineData(StorageModes.Postgres, " ", false)]
    [InlineData(StorageModes.Embedded, "10.96.0.1", false)]
    public void Applies_only_in_a_pod_and_in_a_clustered_mode(string storage, string? serviceHost, bool applies)
    {
        var options = new MdlSiloOptions { Storage = storage };

        Assert.Equal(applies, KubernetesHosting.Applies(options, InPod(serviceHost)));
    }

    [Fact]
    public void In_a_pod_the_silo_gets_the_Kubernetes_cluster_agent()
    {
        var options = new MdlSiloOptions { Storage = StorageModes.Postgres };
        var inPod = new FakeSiloBuilder(InPod("10.96.0.1"));
        var outside = new FakeSiloBuilder(InPod(null));

        inPod.UseKubernetesHostingInPod(options, inPod.Configuration);
        outside.UseKubernetesHostingInPod(options, outside.Configuration);

        Assert.Contains(inPod.Services, d => d.ServiceType == typeof(ILifecycleParticipant<ISiloLifecycle>) && d.ImplementationType == typeof(KubernetesClusterAgent));
        Assert.Empty(outside.Services);
    }

    [Fact]
    public void Pod_variables_are_the_ones_Orleans_reads()
    {
        Assert.Equal(
            [KubernetesHostingOptions.PodNameEnvironmentVariable, KubernetesHostingOptions.PodNamespaceEnvironmentVariable, KubernetesHostingOptions.PodIPEnvironmentVariable],
            KubernetesHosting.PodVariables);
        Assert.Equal(["POD_NAME", "POD_NAMESPACE", "POD_IP"], KubernetesHosting.PodVariables);
    }

    private static IConfiguration InPod(string? serviceHost) =>
        new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create(KubernetesHosting.ServiceHostVariable, serviceHost)]).Build();

    private sealed class FakeSiloBuilder(IConfiguration configuration) : ISiloBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();

        public IConfiguration Configuration { get; } = configuration;
    }
}
