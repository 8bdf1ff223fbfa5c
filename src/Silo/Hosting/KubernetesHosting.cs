using Orleans.Hosting.Kubernetes;

namespace Mdl.Silo.Hosting;

/// <summary>
/// Orleans's Kubernetes integration for a silo running in a pod (see <c>k8s/</c> and docs/operations.md).
/// <c>UseKubernetesHosting</c> names the silo after its pod, advertises the pod's IP, listens on every address, and
/// lets up to two silos watch the pods labelled <c>orleans/serviceId</c>/<c>orleans/clusterId</c> so a silo whose pod is
/// gone is declared dead at once instead of after missed probes. Clustering itself stays on the storage provider.
/// </summary>
public static class KubernetesHosting
{
    /// <summary>Set by Kubernetes in every container; its presence is how the silo knows it runs in a pod.</summary>
    public const string ServiceHostVariable = "KUBERNETES_SERVICE_HOST";

    /// <summary>The pod's facts the manifest passes through the downward API, which <c>UseKubernetesHosting</c> reads.</summary>
    public static IReadOnlyList<string> PodVariables { get; } =
    [
        KubernetesHostingOptions.PodNameEnvironmentVariable,
        KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
        KubernetesHostingOptions.PodIPEnvironmentVariable,
    ];

    /// <summary>Whether the silo should use Orleans's Kubernetes integration: in a pod, and in a mode that forms a real cluster.</summary>
    /// <remarks>
    /// Embedded mode is a single silo on localhost clustering: there is no cluster to reconcile with the pods, and the
    /// integration would make the gateway listen on every address where embedded mode promises loopback.
    /// </remarks>
    public static bool Applies(MdlSiloOptions options, IConfiguration configuration) =>
        options.Storage != StorageModes.Embedded && !string.IsNullOrWhiteSpace(configuration[ServiceHostVariable]);

    /// <summary>Adds Orleans's Kubernetes integration when <see cref="Applies"/>; otherwise leaves the silo as it is.</summary>
    /// <remarks>
    /// Call it after the silo's own <c>ClusterOptions</c>: the integration lets <c>ORLEANS_SERVICE_ID</c>/<c>ORLEANS_CLUSTER_ID</c>
    /// override them, so the manifests set only <c>Mdl__ServiceId</c>/<c>Mdl__ClusterId</c> (taken from the pod's labels), and the
    /// labels and the silo's identity cannot disagree — if they did, the silo would re-label its own pod out of its Deployment.
    /// </remarks>
    public static ISiloBuilder UseKubernetesHostingInPod(this ISiloBuilder silo, MdlSiloOptions options, IConfiguration configuration) =>
        Applies(options, configuration) ? silo.UseKubernetesHosting() : silo;
}
