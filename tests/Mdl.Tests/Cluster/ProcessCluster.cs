using System.Text.Json;
using Mdl.Client;
using Mdl.Goals;
using Mdl.Silo.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Mdl.Tests.Cluster;

/// <summary>
/// A production-mode cluster of silo processes on loopback sharing one PostgreSQL database, and a client that finds
/// them through the membership table — what <c>k8s/</c> deploys, minus Kubernetes.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>How long a silo process may take to become ready on this (shared, 2-core) machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>A definition that only counts the load's observations: it never acts, so counts are the whole story.</summary>
    public static readonly GoalDefinition CountingGoal = JsonSerializer.Deserialize<GoalDefinition>(
        $$"""
        {
          "kind": "load",
          "objectives": [ { "metric": "ticks", "op": ">=", "target": 0 } ],
          "metrics": [ { "name": "ticks", "from": "{{AcknowledgedLoad.Kind}}", "aggregate": "count" } ],
          "allowedFunctions": []
        }
        """,
        MdlJson.Options)!;

    private readonly string _logDirectory;

    // Production mode refuses to start without API keys; these tests talk to the cluster through Orleans, not HTTP.
    private readonly string _apiKey = ApiKeyHash.NewKey();
    private IHost? _client;

    private ProcessCluster(string connectionString, string clusterId, string logDirectory)
    {
        ConnectionString = connectionString;
        ClusterId = clusterId;
        _logDirectory = logDirectory;
    }

    /// <summary>The cluster's database.</summary>
    public string ConnectionString { get; }

    /// <summary>The Orleans cluster id, unique per test.</summary>
    public string ClusterId { get; }

    /// <summary>The silo processes.</summary>
    public List<SiloProcess> Silos { get; } = [];

    /// <summary>The client, connected through the membership table.</summary>
    public MdlClient Client => _client?.Services.GetRequiredService<MdlClient>() ?? throw new InvalidOperationException("not connected");

    /// <summary>The Orleans client under <see cref="Client"/>, for grains the SDK does not wrap.</summary>
    public IClusterClient Grains => _client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("not connected");

    /// <summary>Where the silos' logs are.</summary>
    public string LogDirectory => _logDirectory;

    /// <summary>Starts <paramref name="silos"/> silo processes at once on <paramref name="connectionString"/> and connects a client.</summary>
    public static async Task<ProcessCluster> StartAsync(
        string connectionString, int silos, string name, SiloBuild build = SiloBuild.Product, IReadOnlyDictionary<string, string>? environment = null)
    {
        var clusterId = $"{name}-{Guid.NewGuid():N}"[..24];
        var logs = Path.Combine(Path.GetTempPath(), "mdl-cluster-tests", clusterId);
        Directory.CreateDirectory(logs);
        var cluster = new ProcessCluster(connectionString, clusterId, logs);
        try
        {
            // All at once, as a Deployment starts its pods: the migrations' advisory lock is part of what is tested.
            for (var i = 0; i < silos; i++)
            {
                cluster.AddSilo(build, environment);
            }

            await Task.WhenAll(cluster.Silos.Select(s => s.WaitReadyAsync(StartTimeout)));
            await cluster.ConnectAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more silo process in the cluster (wait for it with <see cref="SiloProcess.WaitReadyAsync"/>).</summary>
    public SiloProcess AddSilo(SiloBuild build = SiloBuild.Product, IReadOnlyDictionary<string, string>? environment = null)
    {
        var settings = SiloEnvironment();
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var silo = SiloProcess.Start($"silo-{Silos.Count}", _logDirectory, settings, build);
        Silos.Add(silo);
        return silo;
    }

    /// <summary>Defines <paramref name="count"/> counting goals and returns their ids.</summary>
    public async Task<string[]> DefineCountingGoalsAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(i => $"load-{i:D4}").ToArray();
        foreach (var chunk in ids.Chunk(16))
        {
            await Task.WhenAll(chunk.Select(id => Client.PutGoalAsync(id, CountingGoal)));
        }

        return ids;
    }

    /// <summary>The goal's count of load observations, read from the cluster (which may activate it anew from storage).</summary>
    public async Task<(double Ticks, long Processed)> CountAsync(string goalId)
    {
        var snapshot = await Client.GetGoalAsync(goalId) ?? throw new InvalidOperationException($"goal {goalId} is gone");
        return (snapshot.Metrics.GetValueOrDefault("ticks"), snapshot.ObservationsProcessed);
    }

    /// <summary>
    /// The goal's snapshot, or null while the cluster cannot answer (a dead silo's gateway not yet dropped by the
    /// client, the goal's directory entry not yet repaired): for probes that wait through a failover.
    /// </summary>
    public async Task<GoalSnapshot?> TryGetGoalAsync(string goalId)
    {
        try
        {
            return await Client.GetGoalAsync(goalId);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Kills every silo and the client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
                // The silos are going anyway.
            }

            _client.Dispose();
        }

        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }
    }

    private Dictionary<string, string> SiloEnvironment()
    {
        return new Dictionary<string, string>
        {
            ["Mdl__Storage"] = "postgres",
            ["ConnectionStrings__Mdl"] = ConnectionString,
            ["Mdl__ClusterId"] = ClusterId,
            ["Mdl__HttpHost"] = "127.0.0.1",
            ["Mdl__ApiKeys__0__Name"] = "cluster-test",
            ["Mdl__ApiKeys__0__Hash"] = ApiKeyHash.Of(_apiKey),
            ["Mdl__ApiKeys__0__Scopes__0"] = "admin",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",

            // Three silos, a client and PostgreSQL share two cores: a workstation GC keeps each silo's threads and
            // heaps small.
            ["DOTNET_gcServer"] = "0",
        };
    }

    private async Task ConnectAsync()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMdlClient(o =>
        {
            o.ClusterDatabase = ConnectionString;
            o.ClusterId = ClusterId;
            o.ConnectTimeout = TimeSpan.FromSeconds(30);
            o.GatewayRefreshPeriod = TimeSpan.FromSeconds(2);

            // A call the dead silo will never answer fails after this, and the load re-sends it.
            o.ResponseTimeout = TimeSpan.FromSeconds(5);
        });

        var host = builder.Build();
        await host.StartAsync();
        _client = host;
    }
}
