using Npgsql;

namespace Mdl.Silo.Postgres;

/// <summary>
/// <c>--migrate-only</c>: applies the PostgreSQL schema and exits, so a deployment can migrate in a job before any silo
/// starts. Reads the connection string the way the silo does (appsettings, <c>ConnectionStrings__Mdl</c>, command line).
/// </summary>
public static class MigrateOnlyCommand
{
    /// <summary>The command-line flag.</summary>
    public const string Flag = "--migrate-only";

    /// <summary>Runs the migrations; returns the process exit code (0 applied or already current, 1 failed).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args.Where(a => a != Flag).ToArray());
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILogger<PostgresMigrator>>();
        var connectionString = builder.Configuration.GetConnectionString("Mdl");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await Console.Error.WriteLineAsync(
                $"{Flag} needs a PostgreSQL connection string: set ConnectionStrings__Mdl " +
                "(e.g. 'Host=localhost;Port=5432;Database=mdl;Username=mdl;Password=…').");
            return 1;
        }

        try
        {
            var applied = await new PostgresMigrator().ApplyAsync(connectionString, logger, CancellationToken.None);
            Console.WriteLine(applied.Count == 0
                ? "PostgreSQL schema is up to date; nothing to apply."
                : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
            return 0;
        }
        catch (Exception exception) when (exception is InvalidOperationException or NpgsqlException)
        {
            await Console.Error.WriteLineAsync($"Migration failed: {exception.Message}");
            return 1;
        }
    }
}
