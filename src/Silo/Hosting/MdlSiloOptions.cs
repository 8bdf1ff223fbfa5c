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
