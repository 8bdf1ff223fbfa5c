using System.Text;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Mdl.Tests.Support;

namespace Mdl.Tests.Deployment;

/// <summary>
/// The objects of <c>k8s/*.yaml</c>, loaded as KubernetesClient's typed models the way the API server would read them:
/// strictly, so a misspelt field fails the load instead of being silently dropped.
/// </summary>
public sealed partial class KubernetesManifests
{
    /// <summary>The folder of the manifests.</summary>
    public const string Folder = "k8s";

    /// <summary>The kustomize file, which is not a Kubernetes object.</summary>
    public const string KustomizationFile = "kustomization.yaml";

    private KubernetesManifests(IReadOnlyList<(string File, IKubernetesObject<V1ObjectMeta> Object)> objects) => Objects = objects;

    /// <summary>Every object with the file it came from.</summary>
    public IReadOnlyList<(string File, IKubernetesObject<V1ObjectMeta> Object)> Objects { get; }

    /// <summary>The silos' Deployment.</summary>
    public V1Deployment Silo => Named<V1Deployment>("mdl-silo");

    /// <summary>The silo container.</summary>
    public V1Container SiloContainer => Silo.Spec.Template.Spec.Containers.Single(c => c.Name == "silo");

    /// <summary>The trial PostgreSQL.</summary>
    public V1StatefulSet Postgres => Named<V1StatefulSet>("mdl-postgres");

    /// <summary>The manifest files kustomize would apply (every <c>.yaml</c> in <see cref="Folder"/> but the kustomization).</summary>
    public static IReadOnlyList<string> Files() =>
        Directory.EnumerateFiles(RepositoryFiles.PathOf(Folder), "*.yaml")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(f => f != KustomizationFile)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Loads every manifest file.</summary>
    public static KubernetesManifests Load()
    {
        var objects = new List<(string, IKubernetesObject<V1ObjectMeta>)>();
        foreach (var file in Files())
        {
            foreach (var loaded in KubernetesYaml.LoadAllFromString(RepositoryFiles.Read(Folder, file), strict: true))
            {
                objects.Add((file, loaded as IKubernetesObject<V1ObjectMeta>
                    ?? throw new InvalidOperationException($"{file}: {loaded.GetType().Name} is not a Kubernetes object with metadata.")));
            }
        }

        return new KubernetesManifests(objects);
    }

    /// <summary>Every object of type <typeparamref name="T"/>.</summary>
    public IEnumerable<T> All<T>() => Objects.Select(o => o.Object).OfType<T>();

    /// <summary>The one object of type <typeparamref name="T"/> named <paramref name="name"/>.</summary>
    public T Named<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        Assert.Single(All<T>(), o => o.Metadata.Name == name);

    /// <summary>A Secret's value, from <c>stringData</c> or base64 <c>data</c>.</summary>
    public string SecretValue(string secret, string key)
    {
        var found = Named<V1Secret>(secret);
        if (found.StringData?.TryGetValue(key, out var text) == true)
        {
            return text;
        }

        if (found.Data?.TryGetValue(key, out var bytes) == true)
        {
            return Encoding.UTF8.GetString(bytes);
        }

        throw new InvalidOperationException($"Secret {secret} has no key '{key}'.");
    }

    /// <summary>
    /// A container's environment as the pod would see it: plain values, Secret references read from the manifests'
    /// Secrets, and the pod's own labels; other downward-API fields (the pod's name, IP…) exist only at run time and are null.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Environment(V1PodTemplateSpec pod, V1Container container) =>
        (container.Env ?? []).ToDictionary(e => e.Name, e => e switch
        {
            { Value: { } value } => value,
            { ValueFrom.SecretKeyRef: { } secret } => SecretValue(secret.Name, secret.Key),
            { ValueFrom.FieldRef.FieldPath: var path } when LabelField().Match(path) is { Success: true } label =>
                pod.Metadata.Labels.TryGetValue(label.Groups["key"].Value, out var labelled) ? labelled : null,
            _ => null,
        });

    /// <summary>The label a downward-API field path reads, e.g. <c>metadata.labels['orleans/serviceId']</c>.</summary>
    [GeneratedRegex(@"^metadata\.labels\['(?<key>[^']+)'\]$")]
    public static partial Regex LabelField();
}
