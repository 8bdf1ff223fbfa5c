namespace Mdl.Client;

/// <summary>Where and how <see cref="MdlClientHostingExtensions.AddMdlClient"/> connects to an Mdl cluster.</summary>
public sealed class MdlClientOptions
{
    /// <summary>The silos' gateway endpoints as <c>host:port</c>. Default <c>localhost:30000</c>, the embedded silo's gateway.</summary>
    public List<string> Gateways { get; set; } = ["localhost:30000"];

    /// <summary>
    /// The PostgreSQL connection string of a production cluster's database (the silos' <c>ConnectionStrings__Mdl</c>).
    /// When set, the client finds the gateways in the cluster's membership table (ADO.NET clustering) and follows
    /// silos joining and leaving, instead of using <see cref="Gateways"/>. Default: unset.
    /// </summary>
    public string? ClusterDatabase { get; set; }

    /// <summary>How often a client on <see cref="ClusterDatabase"/> re-reads the live gateways. Default 5 seconds.</summary>
    public TimeSpan GatewayRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a call waits for its answer before failing with a timeout. A call caught by a silo's death fails at the
    /// latest after this long and can then be re-sent (observations with the same id are deduplicated), so a shorter
    /// value fails over faster; it must exceed the slowest call. Default 30 seconds (Orleans's default).
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the client finds its gateways in the cluster's database rather than in <see cref="Gateways"/>.</summary>
    public bool UsesClusterDatabase => !string.IsNullOrWhiteSpace(ClusterDatabase);

    /// <summary>Where the client looks for the cluster, for messages: the gateways, or the database's host and name.</summary>
    public string Describe() => UsesClusterDatabase
        ? $"the membership table of {DescribeDatabase(ClusterDatabase!)}"
        : string.Join(", ", Gateways);

    /// <summary>The Orleans service id; must match the silos' <c>Mdl__ServiceId</c>. Default <c>mdl</c>.</summary>
    public string ServiceId { get; set; } = "mdl";

    /// <summary>The Orleans cluster id; must match the silos' <c>Mdl__ClusterId</c>. Default <c>dev</c>.</summary>
    public string ClusterId { get; set; } = "dev";

    /// <summary>How long the client keeps retrying its first connection before starting fails. Default 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait before retrying a failed connection attempt. Default 500 ms.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Returns what is wrong with these options, or an empty list.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (UsesClusterDatabase)
        {
            if (DescribeDatabase(ClusterDatabase!) is null)
            {
                errors.Add("the cluster database is not a PostgreSQL connection string (e.g. 'Host=db;Database=mdl;Username=mdl;Password=…')");
            }

            if (GatewayRefreshPeriod <= TimeSpan.Zero)
            {
                errors.Add("the gateway refresh period must be positive");
            }
        }
        else if (Gateways is not { Count: > 0 })
        {
            errors.Add("at least one gateway is required");
        }
        else
        {
            foreach (var gateway in Gateways)
            {
                if (!GatewayAddress.TryParse(gateway, out _))
                {
                    errors.Add($"gateway '{gateway}' is not host:port");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(ServiceId))
        {
            errors.Add("the service id must not be empty");
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            errors.Add("the cluster id must not be empty");
        }

        if (ResponseTimeout <= TimeSpan.Zero)
        {
            errors.Add("the response timeout must be positive");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add("the connect timeout must be positive");
        }

        if (ConnectRetryDelay < TimeSpan.Zero)
        {
            errors.Add("the connect retry delay must not be negative");
        }

        return errors;
    }

    /// <summary>"database 'mdl' on host db:5432" for a valid connection string (no password), else null.</summary>
    private static string? DescribeDatabase(string connectionString)
    {
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrWhiteSpace(builder.Host)
                ? null
                : $"database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}";
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
