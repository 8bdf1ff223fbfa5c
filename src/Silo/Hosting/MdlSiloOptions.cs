using System.Net;
using System.Net.Sockets;
using Mdl.Goals;
using Mdl.Silo.Ingress;
using Mdl.Silo.Postgres;
using Mdl.Silo.Security;

namespace Mdl.Silo.Hosting;

/// <summary>The silo's configuration (section <c>Mdl</c>; environment form <c>Mdl__Key</c>). Validated at start.</summary>
public sealed class MdlSiloOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Mdl";

    /// <summary><c>embedded</c> (default: localhost cluster, SQLite file, memory streams) or <c>postgres</c>.</summary>
    public string Storage { get; set; } = StorageModes.Embedded;

    /// <summary>Embedded mode's folder for its SQLite file. Default <c>./.mdl-data</c>.</summary>
    public string DataPath { get; set; } = "./.mdl-data";

    /// <summary>Orleans service id. Default <c>mdl</c>.</summary>
    public string ServiceId { get; set; } = "mdl";

    /// <summary>Orleans cluster id. Default <c>dev</c>.</summary>
    public string ClusterId { get; set; } = "dev";

    /// <summary>Silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>HTTP port of the API, dashboard and health endpoints. Default 8080.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>The address HTTP binds to. Default: loopback in embedded mode, every address otherwise.</summary>
    public string? HttpHost { get; set; }

    /// <summary>
    /// Postgres mode: the IP address other silos and clients reach this silo at, as written to the membership table.
    /// Default: in a Kubernetes pod (<c>KUBERNETES_SERVICE_HOST</c> set) the host's first IPv4 address, else 127.0.0.1.
    /// Set it from the pod's <c>status.podIP</c> when the pod has several addresses.
    /// </summary>
    public string? AdvertisedIp { get; set; }

    /// <summary>Postgres mode: how fast a dead silo is noticed (<c>Mdl__Membership__…</c>).</summary>
    public MembershipTuning Membership { get; set; } = new();

    /// <summary>Postgres mode: the durable stream queues (<c>Mdl__Streams__…</c>).</summary>
    public StreamQueueOptions Streams { get; set; } = new();

    /// <summary>Postgres mode: how goal state writes are batched into shared commits (<c>Mdl__GroupCommit__…</c>).</summary>
    public GroupCommitOptions GroupCommit { get; set; } = new();

    /// <summary>How the silos find goals that are due, with calls cut off by a crash or a wake-up missed (<c>Mdl__Recovery__…</c>).</summary>
    public GoalRecoveryOptions Recovery { get; set; } = new();

    /// <summary>
    /// API keys for the HTTP API, the dashboard and <c>/metrics</c> (<c>Mdl__ApiKeys__0__Name</c>, <c>__Hash</c>, <c>__Scopes__0</c>).
    /// None configured means the API is open, which is allowed only in embedded mode on a loopback address.
    /// </summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Signed webhook sources for observation ingress (<c>Mdl__Webhooks__0__Name</c>, <c>__Secret</c>).</summary>
    public List<WebhookOptions> Webhooks { get; set; } = [];

    /// <summary>How far a webhook's <c>X-Mdl-Timestamp</c> may be from the silo's clock, either way. Default 300 s.</summary>
    public int WebhookReplayWindowSeconds { get; set; } = 300;

    /// <summary>
    /// Whether the silo runs the Orleans dashboard at <c>/dashboard</c>. Default true. Its once-a-second metric export
    /// and statistics poll are most of an idle silo's CPU above Orleans's own floor (about 0.7 % of a core here); a
    /// cluster scraped at <c>/metrics</c> can turn it off.
    /// </summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>Request size and rate limits (<c>Mdl__Limits__…</c>).</summary>
    public IngressLimits Limits { get; set; } = new();

    /// <summary>The address HTTP binds to once the default is applied.</summary>
    public string EffectiveHttpHost => string.IsNullOrWhiteSpace(HttpHost)
        ? Storage == StorageModes.Embedded ? "127.0.0.1" : "0.0.0.0"
        : HttpHost;

    /// <summary>The address advertised in postgres mode once the default is applied (see <see cref="AdvertisedIp"/>).</summary>
    public IPAddress EffectiveAdvertisedIp => IPAddress.TryParse(AdvertisedIp, out var configured) ? configured : DefaultAdvertisedIp();

    /// <summary>True when no API key is configured: the API answers without credentials (embedded mode on loopback only).</summary>
    public bool IsOpen => ApiKeys.Count == 0;

    /// <summary>Checks the options; returns one message per problem, saying what to set.</summary>
    public IEnumerable<string> Problems(string? connectionString)
    {
        if (Storage is not (StorageModes.Embedded or StorageModes.Postgres))
        {
            yield return $"Mdl__Storage must be '{StorageModes.Embedded}' or '{StorageModes.Postgres}', not '{Storage}'.";
        }

        if (Storage == StorageModes.Postgres && string.IsNullOrWhiteSpace(connectionString))
        {
            yield return "Mdl__Storage=postgres needs a PostgreSQL connection string: set ConnectionStrings__Mdl " +
                "(e.g. 'Host=localhost;Port=5432;Database=mdl;Username=mdl;Password=…').";
        }

        if (Storage == StorageModes.Embedded && string.IsNullOrWhiteSpace(DataPath))
        {
            yield return "Mdl__DataPath must name a folder for the embedded SQLite file.";
        }

        foreach (var (name, port) in new[] { ("SiloPort", SiloPort), ("GatewayPort", GatewayPort), ("HttpPort", HttpPort) })
        {
            if (port is < 1 or > 65535)
            {
                yield return $"Mdl__{name} must be a TCP port (1–65535), not {port}.";
            }
        }

        if (string.IsNullOrWhiteSpace(ServiceId) || string.IsNullOrWhiteSpace(ClusterId))
        {
            yield return "Mdl__ServiceId and Mdl__ClusterId must not be empty.";
        }

        foreach (var problem in Storage == StorageModes.Postgres ? PostgresProblems() : [])
        {
            yield return problem;
        }

        foreach (var problem in SecurityProblems().Concat(Limits.Problems()).Concat(Recovery.Problems()))
        {
            yield return problem;
        }
    }

    private IEnumerable<string> PostgresProblems()
    {
        if (!string.IsNullOrWhiteSpace(AdvertisedIp) && !IPAddress.TryParse(AdvertisedIp, out _))
        {
            yield return $"Mdl__AdvertisedIp must be an IP address (the pod's IP in Kubernetes), not '{AdvertisedIp}'.";
        }

        foreach (var problem in Membership.Problems().Concat(Streams.Problems()).Concat(GroupCommit.Problems()))
        {
            yield return problem;
        }
    }

    private static IPAddress DefaultAdvertisedIp()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
        {
            return IPAddress.Loopback;
        }

        // In a pod the host name resolves to the pod's own address, the one its peers can reach.
        return Dns.GetHostAddresses(Dns.GetHostName())
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)) ?? IPAddress.Loopback;
    }

    private IEnumerable<string> SecurityProblems()
    {
        const string HowToAddKey = "set Mdl__ApiKeys__0__Name, Mdl__ApiKeys__0__Hash and Mdl__ApiKeys__0__Scopes__0=admin " +
            "(make a key and its hash with: dotnet run --project src/Silo -- --new-api-key)";

        // Without keys the API is open, which is only acceptable where nobody but this machine can reach it.
        if (IsOpen && Storage == StorageModes.Postgres)
        {
            yield return "Mdl__Storage=postgres refuses to start without API keys, because the HTTP API would be open to the network: " + HowToAddKey + ".";
        }
        else if (IsOpen && !IsLoopback(EffectiveHttpHost))
        {
            yield return $"Mdl__HttpHost={EffectiveHttpHost} would expose the HTTP API beyond this machine without API keys: " + HowToAddKey +
                ", or leave Mdl__HttpHost unset to bind 127.0.0.1.";
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            var key = ApiKeys[i];
            var at = $"Mdl__ApiKeys__{i}__";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                yield return at + "Name must name the key (it appears in logs and in 403 answers).";
            }
            else if (!names.Add(key.Name))
            {
                yield return $"{at}Name '{key.Name}' is used by another key; key names must be unique.";
            }

            if (!ApiKeyHash.IsHash(key.Hash))
            {
                yield return at + "Hash must be the 64-hex-digit SHA-256 of the key (print it with: dotnet run --project src/Silo -- --hash-api-key <key>); the key itself is never configured.";
            }

            var scopes = key.ScopeSet();
            if (scopes.Count == 0)
            {
                yield return $"{at}Scopes__0 must be set to one of {string.Join(", ", ApiScopes.Granted)}.";
            }

            foreach (var scope in scopes.Where(s => !ApiScopes.Granted.Contains(s)))
            {
                yield return $"{at}Scopes has '{scope}'; a key's scopes are {string.Join(", ", ApiScopes.Granted)}.";
            }
        }

        var sources = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var webhook = Webhooks[i];
            var at = $"Mdl__Webhooks__{i}__";
            if (string.IsNullOrWhiteSpace(webhook.Name))
            {
                yield return at + "Name must name the source; senders put it in the X-Mdl-Webhook header.";
            }
            else if (!sources.Add(webhook.Name))
            {
                yield return $"{at}Name '{webhook.Name}' is used by another webhook; webhook names must be unique.";
            }

            if (webhook.Secret is not { Length: >= WebhookOptions.MinSecretLength })
            {
                yield return $"{at}Secret must be at least {WebhookOptions.MinSecretLength} characters of random text shared with the sender.";
            }
        }

        if (WebhookReplayWindowSeconds is < 1 or > 3600)
        {
            yield return $"Mdl__WebhookReplayWindowSeconds must be from 1 to 3600, not {WebhookReplayWindowSeconds}.";
        }
    }

    /// <summary>Whether <paramref name="host"/> (a host name or address as in a URL) is reachable only from this machine.</summary>
    public static bool IsLoopback(string host)
    {
        var bare = host.Trim().TrimStart('[').TrimEnd(']');
        return string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address));
    }
}

/// <summary>The hosting modes.</summary>
public static class StorageModes
{
    /// <summary>One machine: localhost clustering, SQLite state, memory streams.</summary>
    public const string Embedded = "embedded";

    /// <summary>Production: ADO.NET on PostgreSQL.</summary>
    public const string Postgres = "postgres";
}
