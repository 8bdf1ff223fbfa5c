using System.Data.Common;
using System.Globalization;
using k8s;
using k8s.Models;
using Mdl.Silo;
using Mdl.Silo.Hosting;
using Mdl.Silo.Security;
using Mdl.Silo.Telemetry;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting.Kubernetes;

namespace Mdl.Tests.Deployment;

/// <summary>
/// <c>k8s/</c> checked against the code it deploys, so the two cannot drift apart: setting names, ports, probe paths,
/// the Orleans labels, the RBAC Orleans's Kubernetes hosting needs, the shutdown grace and the selectors.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string Namespace = "mdl";

    private readonly KubernetesManifests _manifests = KubernetesManifests.Load();

    private V1PodTemplateSpec SiloPod => _manifests.Silo.Spec.Template;

    private IReadOnlyDictionary<string, string?> SiloEnvironment => _manifests.Environment(SiloPod, _manifests.SiloContainer);

    [Fact]
    public void Every_manifest_is_a_known_Kubernetes_object_in_the_mdl_namespace()
    {
        Assert.NotEmpty(KubernetesManifests.Files());
        Assert.Equal(Namespace, Assert.Single(_manifests.All<V1Namespace>()).Metadata.Name);
        foreach (var (file, manifest) in _manifests.Objects.Where(o => o.Object is not V1Namespace))
        {
            Assert.True(manifest.Metadata.NamespaceProperty == Namespace, $"{file}: {manifest.Kind} {manifest.Metadata.Name} is not in namespace {Namespace}");
        }
    }

    [Fact]
    public void Kustomization_applies_every_manifest_in_the_namespace()
    {
        var kustomization = KubernetesYaml.Deserialize<Kustomization>(RepositoryFiles.Read(KubernetesManifests.Folder, KubernetesManifests.KustomizationFile));

        Assert.Equal(Namespace, kustomization.Namespace);
        Assert.Equal(KubernetesManifests.Files(), kustomization.Resources.Order(StringComparer.Ordinal));
        Assert.Contains(kustomization.Images, i => i.Name == _manifests.SiloContainer.Image.Split(':')[0]);
    }

    [Fact]
    public void Setting_names_are_checked_against_the_options_properties()
    {
        // The check below is only worth something if it refuses what the silo would silently ignore.
        Assert.True(SiloSettings.NamesAnOption("Mdl__ApiKeys__0__Scopes__0"));
        Assert.True(SiloSettings.NamesAnOption("Mdl__Limits__ObservationBurst"));
        Assert.False(SiloSettings.NamesAnOption("Mdl__ApiKey__0__Hash"));
        Assert.False(SiloSettings.NamesAnOption("Mdl__ApiKeys__first__Hash"));
        Assert.False(SiloSettings.NamesAnOption("Mdl__ApiKeys__0"));
        Assert.False(SiloSettings.NamesAnOption("Mdl__EffectiveHttpHost"));
        Assert.False(SiloSettings.NamesAnOption("MDL_STORAGE"));
    }

    [Fact]
    public void Every_silo_variable_is_an_option_the_connection_string_or_a_pod_variable_Orleans_reads()
    {
        var known = KubernetesHosting.PodVariables
            .Append(SiloSettings.ConnectionStringVariable)
            .Append(TelemetryExtensions.OtlpEndpointVariable)
            .ToHashSet(StringComparer.Ordinal);
        var unknown = SiloEnvironment.Keys.Where(name => !known.Contains(name) && !SiloSettings.NamesAnOption(name)).ToList();

        Assert.True(unknown.Count == 0, "Variables that name no setting of the silo: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Pod_variables_come_from_the_downward_API()
    {
        var fields = _manifests.SiloContainer.Env.Where(e => e.ValueFrom?.FieldRef is not null).ToDictionary(e => e.Name, e => e.ValueFrom.FieldRef.FieldPath);

        Assert.Equal("metadata.name", fields[KubernetesHostingOptions.PodNameEnvironmentVariable]);
        Assert.Equal("metadata.namespace", fields[KubernetesHostingOptions.PodNamespaceEnvironmentVariable]);
        Assert.Equal("status.podIP", fields[KubernetesHostingOptions.PodIPEnvironmentVariable]);
    }

    [Fact]
    public void Manifest_configuration_passes_the_silos_own_validation_in_postgres_mode_with_Kubernetes_hosting()
    {
        var options = SiloSettings.Bind(SiloEnvironment);
        var configuration = SiloSettings.Configuration(SiloEnvironment);

        Assert.Equal(StorageModes.Postgres, options.Storage);
        Assert.Empty(options.Problems(configuration.GetConnectionString("Mdl")));
        Assert.False(MdlSiloOptions.IsLoopback(options.EffectiveHttpHost), $"HTTP binds {options.EffectiveHttpHost}: the kubelet's probes and Services could not reach it");
        Assert.Contains(options.ApiKeys, k => k.ScopeSet().Contains(ApiScopes.Admin));

        // Kubernetes sets this in every container; the silo then turns on Orleans's Kubernetes hosting.
        var inPod = SiloEnvironment.Append(KeyValuePair.Create(KubernetesHosting.ServiceHostVariable, (string?)"10.0.0.1")).ToDictionary();
        Assert.True(KubernetesHosting.Applies(options, SiloSettings.Configuration(inPod)));
    }

    [Fact]
    public void Container_ports_are_the_ports_the_silo_binds()
    {
        var options = SiloSettings.Bind(SiloEnvironment);
        var defaults = new MdlSiloOptions();
        var ports = _manifests.SiloContainer.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);

        Assert.Equal(new Dictionary<string, int> { ["http"] = options.HttpPort, ["silo"] = options.SiloPort, ["gateway"] = options.GatewayPort }, ports);
        Assert.Equal([defaults.HttpPort, defaults.SiloPort, defaults.GatewayPort], [ports["http"], ports["silo"], ports["gateway"]]);
    }

    [Fact]
    public void Orleans_labels_on_the_pods_are_the_silos_ServiceId_and_ClusterId()
    {
        var options = SiloSettings.Bind(SiloEnvironment);
        var labels = SiloPod.Metadata.Labels;

        Assert.Equal(options.ServiceId, labels[KubernetesHostingOptions.ServiceIdLabel]);
        Assert.Equal(options.ClusterId, labels[KubernetesHostingOptions.ClusterIdLabel]);

        // Orleans's Kubernetes hosting lets these override the silo's own ServiceId/ClusterId; one source is enough.
        Assert.DoesNotContain(KubernetesHostingOptions.ServiceIdEnvironmentVariable, SiloEnvironment.Keys);
        Assert.DoesNotContain(KubernetesHostingOptions.ClusterIdEnvironmentVariable, SiloEnvironment.Keys);
    }

    [Fact]
    public void Deployment_selects_its_pods_without_the_labels_Orleans_may_rewrite()
    {
        var selector = _manifests.Silo.Spec.Selector.MatchLabels;

        Assert.NotEmpty(selector);
        Assert.All(selector, label => Assert.Equal(label.Value, SiloPod.Metadata.Labels[label.Key]));
        Assert.DoesNotContain(KubernetesHostingOptions.ServiceIdLabel, selector.Keys);
        Assert.DoesNotContain(KubernetesHostingOptions.ClusterIdLabel, selector.Keys);
    }

    [Fact]
    public void Probes_ask_the_silos_health_endpoints_on_the_http_port()
    {
        var silo = _manifests.SiloContainer;

        Assert.Equal(("/health/ready", "http"), Probe(silo.StartupProbe));
        Assert.Equal(("/health/ready", "http"), Probe(silo.ReadinessProbe));
        Assert.Equal(("/health/live", "http"), Probe(silo.LivenessProbe));
    }

    [Fact]
    public async Task Probe_paths_answer_200_without_credentials_on_a_silo_that_requires_API_keys()
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "mdl-k8s-probes-" + Guid.NewGuid().ToString("n"));
        var httpPort = FreePorts.Next();
        string[] args =
        [
            .. TestSilos.Args(dataPath, $"probes-{httpPort}", httpPort),
            "--Mdl:ApiKeys:0:Name=admin",
            $"--Mdl:ApiKeys:0:Hash={ApiKeyHash.Of(ApiKeyHash.NewKey())}",
            "--Mdl:ApiKeys:0:Scopes:0=admin",
        ];
        WebApplication? app = null;
        HttpClient? http = null;
        try
        {
            app = MdlSiloApp.Build(args, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
            await app.StartAsync();
            http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };

            // The kubelet sends no credentials: the probes must not need them, while the API still does.
            Assert.Equal(401, (int)(await http.GetAsync("/api/goals")).StatusCode);
            var silo = _manifests.SiloContainer;
            foreach (var path in new[] { silo.StartupProbe, silo.ReadinessProbe, silo.LivenessProbe }.Select(p => Probe(p).Path).Distinct())
            {
                await Eventually.WaitAsync(async () => (int)(await http.GetAsync(path)).StatusCode, status => status == 200, $"200 from {path}", TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            await TestSilos.StopAndDeleteAsync(app, http, dataPath);
        }
    }

    [Fact]
    public async Task Grace_period_outlasts_the_silos_shutdown_timeout_and_the_preStop_pause()
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "mdl-k8s-grace-" + Guid.NewGuid().ToString("n"));
        TimeSpan shutdown;
        var app = MdlSiloApp.Build(TestSilos.Args(dataPath, "grace"));
        try
        {
            shutdown = app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        }
        finally
        {
            await app.DisposeAsync();
            Directory.Delete(dataPath, recursive: true);
        }

        var pod = SiloPod.Spec;
        var preStop = TimeSpan.FromSeconds(_manifests.SiloContainer.Lifecycle?.PreStop?.Sleep?.Seconds ?? 0);
        var grace = TimeSpan.FromSeconds(pod.TerminationGracePeriodSeconds ?? 30);

        Assert.True(shutdown > TimeSpan.Zero, "the silo sets no shutdown timeout");
        Assert.True(grace > shutdown + preStop, $"terminationGracePeriodSeconds {grace.TotalSeconds} must exceed the silo's shutdown timeout {shutdown.TotalSeconds} s plus the preStop pause {preStop.TotalSeconds} s");
    }

    [Fact]
    public void Rolling_update_starts_a_new_silo_before_an_old_one_leaves()
    {
        var strategy = _manifests.Silo.Spec.Strategy;

        Assert.Equal("RollingUpdate", strategy.Type);
        Assert.Equal("0", strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.True(strategy.RollingUpdate.MaxSurge.ToInt() >= 1, "maxSurge must let a new silo start first");
        Assert.Equal(3, _manifests.Silo.Spec.Replicas);
    }

    [Fact]
    public void Silo_requests_CPU_and_has_no_CPU_limit()
    {
        var resources = _manifests.SiloContainer.Resources;

        Assert.True(resources.Requests?.ContainsKey("cpu") == true, "the silo has no CPU request (the autoscaler scales on it)");
        Assert.False(resources.Limits?.ContainsKey("cpu") == true, "a CPU limit throttles heartbeats and grains; the silo must have none");
        Assert.True(resources.Limits?.ContainsKey("memory") == true, "the silo has no memory limit");
    }

    [Fact]
    public void Role_grants_only_what_Orleans_Kubernetes_hosting_calls_to_the_silos_service_account()
    {
        // KubernetesClusterAgent (10.4.2): get and patch its own pod's labels, list and watch the silo pods.
        // delete only with DeleteDefunctSiloPods, which Mdl leaves off.
        var role = Assert.Single(_manifests.All<V1Role>());
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "patch", "watch"], rule.Verbs.Order(StringComparer.Ordinal));
        Assert.Null(rule.ResourceNames);
        Assert.Empty(_manifests.All<V1ClusterRole>());
        Assert.Empty(_manifests.All<V1ClusterRoleBinding>());

        var account = SiloPod.Spec.ServiceAccountName;
        var binding = Assert.Single(_manifests.All<V1RoleBinding>());
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account, Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Single(_manifests.All<V1ServiceAccount>(), a => a.Metadata.Name == account);
        Assert.NotEqual(false, SiloPod.Spec.AutomountServiceAccountToken);
    }

    [Fact]
    public void Services_budget_and_autoscaler_point_at_the_pods_that_serve_them()
    {
        var workloads = _manifests.All<V1Deployment>().Select(d => (d.Spec.Template, Kind: "Deployment", d.Metadata.Name))
            .Concat(_manifests.All<V1StatefulSet>().Select(s => (s.Spec.Template, Kind: "StatefulSet", s.Metadata.Name)))
            .ToList();
        foreach (var service in _manifests.All<V1Service>())
        {
            var selected = workloads.Where(w => Selects(service.Spec.Selector, w.Template)).ToList();
            var (template, _, _) = Assert.Single(selected);
            var ports = template.Spec.Containers.SelectMany(c => c.Ports ?? []).Select(p => p.Name).ToHashSet();
            Assert.All(service.Spec.Ports, p => Assert.True(ports.Contains(p.TargetPort.Value), $"Service {service.Metadata.Name} targets port '{p.TargetPort.Value}', which no selected container names"));
        }

        Assert.Contains(_manifests.All<V1Service>(), s => Selects(s.Spec.Selector, SiloPod) && s.Spec.Ports.Any(p => p.TargetPort.Value == "http"));
        Assert.Contains(_manifests.All<V1Service>(), s => Selects(s.Spec.Selector, SiloPod) && s.Spec.Ports.Any(p => p.TargetPort.Value == "gateway"));

        var budget = Assert.Single(_manifests.All<V1PodDisruptionBudget>());
        Assert.True(Selects(budget.Spec.Selector.MatchLabels, SiloPod), "the PodDisruptionBudget does not select the silo pods");
        Assert.Equal("1", budget.Spec.MaxUnavailable?.Value);

        var autoscaler = Assert.Single(_manifests.All<V2HorizontalPodAutoscaler>());
        Assert.Equal(("apps/v1", "Deployment", _manifests.Silo.Metadata.Name), (autoscaler.Spec.ScaleTargetRef.ApiVersion, autoscaler.Spec.ScaleTargetRef.Kind, autoscaler.Spec.ScaleTargetRef.Name));
        Assert.Equal(_manifests.Silo.Spec.Replicas, autoscaler.Spec.MinReplicas);
        Assert.True(autoscaler.Spec.MaxReplicas > autoscaler.Spec.MinReplicas);
        Assert.Contains(autoscaler.Spec.Metrics, m => m.Resource?.Name == "cpu");
    }

    [Fact]
    public void Every_secret_reference_names_a_key_of_a_Secret_in_the_manifests()
    {
        var references = _manifests.All<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers)
            .Concat(_manifests.All<V1StatefulSet>().SelectMany(s => s.Spec.Template.Spec.Containers))
            .SelectMany(c => c.Env ?? [])
            .Select(e => e.ValueFrom?.SecretKeyRef)
            .OfType<V1SecretKeySelector>()
            .ToList();

        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.False(string.IsNullOrEmpty(_manifests.SecretValue(r.Name, r.Key))));
    }

    [Fact]
    public void Trial_connection_string_reaches_the_trial_PostgreSQL_as_its_user()
    {
        var connection = new DbConnectionStringBuilder { ConnectionString = SiloSettings.Configuration(SiloEnvironment).GetConnectionString("Mdl") };
        var postgres = _manifests.Postgres.Spec.Template;
        var environment = _manifests.Environment(postgres, Assert.Single(postgres.Spec.Containers));
        var service = _manifests.Named<V1Service>(_manifests.Postgres.Spec.ServiceName);

        Assert.Equal(service.Metadata.Name, connection["Host"]);
        Assert.Equal(Assert.Single(service.Spec.Ports).Port.ToString(CultureInfo.InvariantCulture), connection["Port"]);
        Assert.Equal(environment["POSTGRES_DB"], connection["Database"]);
        Assert.Equal(environment["POSTGRES_USER"], connection["Username"]);
        Assert.Equal(environment["POSTGRES_PASSWORD"], connection["Password"]);
        Assert.StartsWith("CHANGE-ME", environment["POSTGRES_PASSWORD"], StringComparison.Ordinal);
    }

    [Fact]
    public void Silo_pod_runs_as_the_images_non_root_user()
    {
        var dockerfile = Dockerfile.Load();
        var user = dockerfile.All("USER", dockerfile.FinalStage).Last().Arguments;
        var security = SiloPod.Spec.SecurityContext;

        Assert.True(security.RunAsNonRoot);
        Assert.Equal(user, security.RunAsUser?.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(false, _manifests.SiloContainer.SecurityContext.AllowPrivilegeEscalation);
    }

    private static (string Path, string Port) Probe(V1Probe? probe)
    {
        Assert.NotNull(probe?.HttpGet);
        return (probe.HttpGet.Path, probe.HttpGet.Port.Value);
    }

    private static bool Selects(IDictionary<string, string>? selector, V1PodTemplateSpec pod) =>
        selector is { Count: > 0 } && selector.All(label => pod.Metadata.Labels.TryGetValue(label.Key, out var value) && value == label.Value);

    /// <summary>The part of <c>kustomization.yaml</c> the tests read.</summary>
    private sealed class Kustomization
    {
        public string Namespace { get; set; } = "";

        public List<string> Resources { get; set; } = [];

        public List<KustomizationImage> Images { get; set; } = [];
    }

    private sealed class KustomizationImage
    {
        public string Name { get; set; } = "";
    }
}
