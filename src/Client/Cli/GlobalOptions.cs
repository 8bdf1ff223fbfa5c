using System.CommandLine;
using Mdl.Client;

namespace Mdl.Cli;

/// <summary>The options every command takes: where the cluster is, and how to print.</summary>
internal sealed class GlobalOptions
{
    /// <summary>Environment variable with the default gateways (comma-separated <c>host:port</c>).</summary>
    public const string GatewayVariable = "MDL_GATEWAY";

    /// <summary>Environment variable with the default cluster database (a PostgreSQL connection string).</summary>
    public const string ClusterDatabaseVariable = "MDL_CLUSTER_DB";

    /// <summary>Creates the options; <paramref name="stdin"/> is what <c>--file -</c> reads.</summary>
    public GlobalOptions(TextReader stdin)
    {
        Stdin = stdin;
        Gateway.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!GatewayAddress.TryParse(token.Value, out _))
                {
                    result.AddError($"--gateway '{token.Value}' is not host:port");
                }
            }
        });
    }

    /// <summary>What <c>--file -</c> reads.</summary>
    public TextReader Stdin { get; }

    /// <summary><c>--gateway host:port</c>, repeatable.</summary>
    public Option<string[]> Gateway { get; } = new("--gateway")
    {
        Description = $"A silo gateway as host:port; repeatable. Default: ${GatewayVariable}, else localhost:30000.",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        HelpName = "host:port",
        DefaultValueFactory = _ => DefaultGateways(),
    };

    /// <summary><c>--cluster-db</c>: find the gateways in a production cluster's membership table.</summary>
    public Option<string?> ClusterDatabase { get; } = new("--cluster-db")
    {
        Description = $"The PostgreSQL connection string of a production cluster (the silos' ConnectionStrings__Mdl); " +
            $"the CLI finds the live gateways in its membership table instead of using --gateway. Default: ${ClusterDatabaseVariable}.",
        Recursive = true,
        HelpName = "connection-string",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ClusterDatabaseVariable) is { Length: > 0 } db ? db : null,
    };

    /// <summary><c>--service-id</c>.</summary>
    public Option<string> ServiceId { get; } = new("--service-id")
    {
        Description = "The Orleans service id of the cluster. Default: $MDL_SERVICE_ID, else mdl.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MDL_SERVICE_ID") is { Length: > 0 } id ? id : "mdl",
    };

    /// <summary><c>--cluster-id</c>.</summary>
    public Option<string> ClusterId { get; } = new("--cluster-id")
    {
        Description = "The Orleans cluster id. Default: $MDL_CLUSTER_ID, else dev.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MDL_CLUSTER_ID") is { Length: > 0 } id ? id : "dev",
    };

    /// <summary><c>--json</c>: machine output.</summary>
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print results as camelCase JSON (one document, or one per line for watch).",
        Recursive = true,
    };

    /// <summary>Adds the options to the root command.</summary>
    public void AddTo(RootCommand root)
    {
        root.Options.Add(Gateway);
        root.Options.Add(ClusterDatabase);
        root.Options.Add(ServiceId);
        root.Options.Add(ClusterId);
        root.Options.Add(Json);
    }

    private static string[] DefaultGateways() =>
        Environment.GetEnvironmentVariable(GatewayVariable) is { Length: > 0 } configured
            ? configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : ["localhost:30000"];
}
