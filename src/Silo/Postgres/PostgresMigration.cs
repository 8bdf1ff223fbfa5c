using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Mdl.Silo.Postgres;

/// <summary>One versioned schema script shipped in the silo assembly (<c>Postgres/Migrations/NNNN_name.sql</c>).</summary>
/// <param name="Version">The number before the first underscore of the file name; migrations run in this order.</param>
/// <param name="Name">The file name, e.g. <c>0002_persistence.sql</c>.</param>
/// <param name="Sql">The script. It must be idempotent, because a database created by hand may already hold its objects.</param>
public sealed record PostgresMigration(int Version, string Name, string Sql)
{
    /// <summary>The prefix of the embedded resource names (set as <c>LogicalName</c> in Silo.csproj).</summary>
    public const string ResourcePrefix = "mdl-migrations/";

    /// <summary>
    /// Lowercase hex SHA-256 of the script with line endings normalised, so a checkout with CRLF line endings does not
    /// look like an edited migration. Computed on each read, so a copy made with <c>with</c> has its own.
    /// </summary>
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));

    /// <summary>Every migration embedded in <paramref name="assembly"/> (the silo's by default), in version order.</summary>
    /// <exception cref="InvalidOperationException">A resource is misnamed or two share a version.</exception>
    public static IReadOnlyList<PostgresMigration> Embedded(Assembly? assembly = null)
    {
        assembly ??= typeof(PostgresMigration).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(resource => resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(resource => Load(assembly, resource))
            .OrderBy(migration => migration.Version)
            .ToList();
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"Migrations {string.Join(" and ", duplicate.Select(m => m.Name))} share version {duplicate.Key}; give each its own number.");
        }

        return migrations;
    }

    private static PostgresMigration Load(Assembly assembly, string resource)
    {
        var name = resource[ResourcePrefix.Length..];
        var underscore = name.IndexOf('_', StringComparison.Ordinal);
        if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new InvalidOperationException($"Migration '{name}' must be named NNNN_description.sql.");
        }

        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return new PostgresMigration(version, name, reader.ReadToEnd());
    }
}
