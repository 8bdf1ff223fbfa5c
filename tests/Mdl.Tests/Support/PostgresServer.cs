using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Mdl.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL 15 server for the tests that need one: a fresh cluster (initdb) in a temp folder, listening
/// on a free loopback port with its unix socket inside that folder, trust authentication, removed afterwards. Shared
/// through <see cref="PostgresCollection"/>; each test class or test takes its own database
/// (<see cref="CreateDatabaseAsync"/>). PostgreSQL refuses to run as root, so as root the folder is given to the
/// <c>postgres</c> user and the server tools run through <c>runuser</c>.
/// </summary>
public sealed partial class PostgresServer : IAsyncLifetime
{
    /// <summary>Where Debian's <c>postgresql-15</c> package puts the server tools; <c>MDL_POSTGRES_BIN</c> overrides it.</summary>
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    private const string SystemUser = "postgres";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdl-pg-" + Guid.NewGuid().ToString("n")[..12]);
    private readonly string _bin = Environment.GetEnvironmentVariable("MDL_POSTGRES_BIN") ?? DefaultBinDirectory;
    private readonly SemaphoreSlim _creating = new(1, 1);
    private int _databases;
    private bool _started;

    /// <summary>The server's TCP port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>A connection string to the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    private string DataDirectory => Path.Combine(_root, "data");

    private static bool RunAsPostgresUser => Environment.IsPrivilegedProcess;

    /// <summary>Creates an empty database named after <paramref name="prefix"/> and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{Sanitize(prefix)}_{Interlocked.Increment(ref _databases)}";

        // CREATE DATABASE copies template1 and fails if another CREATE is copying it at the same moment.
        await _creating.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            _creating.Release();
        }

        return ConnectionStringFor(name);
    }

    /// <summary>Runs <paramref name="sql"/> on the database at <paramref name="connectionString"/> and returns the first column of the first row.</summary>
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var initdb = Path.Combine(_bin, "initdb");
        if (!File.Exists(initdb) || !File.Exists(Path.Combine(_bin, "pg_ctl")))
        {
            throw new InvalidOperationException(
                $"The PostgreSQL tests need the PostgreSQL 15 server tools (initdb, pg_ctl) in {_bin}, and they are missing. " +
                "Install them with: apt-get install -y postgresql-15 (or point MDL_POSTGRES_BIN at another bin folder).");
        }

        Directory.CreateDirectory(_root);
        if (RunAsPostgresUser)
        {
            await RunAsync("chown", ["-R", $"{SystemUser}:{SystemUser}", _root], asPostgres: false);
        }

        await RunAsync(initdb, ["-D", DataDirectory, "-U", SystemUser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], asPostgres: RunAsPostgresUser);

        // Trust is fine for a throwaway server that accepts nothing but this machine's loopback and its private socket.
        await File.WriteAllTextAsync(Path.Combine(DataDirectory, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");

        // Another process may grab the free port between FreePorts and the server's bind: try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePorts.Next();
            try
            {
                await StartServerAsync();
                _started = true;
                return;
            }
            catch (InvalidOperationException failed) when (attempt < 3 && failed.Message.Contains("already in use", StringComparison.Ordinal))
            {
                // Next port; pg_ctl starts a fresh log section each time.
            }
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_started)
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], asPostgres: RunAsPostgresUser);
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private Task StartServerAsync()
    {
        // fsync off: the tests check what the providers do, not PostgreSQL's own crash safety, and it saves seconds.
        var settings = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400";
        return RunAsync(
            Path.Combine(_bin, "pg_ctl"),
            ["-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", settings, "start"],
            asPostgres: RunAsPostgresUser);
    }

    private async Task<string> ReadLogAsync()
    {
        var log = Path.Combine(_root, "server.log");
        return File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
    }

    private string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = SystemUser,
    }.ConnectionString;

    private async Task RunAsync(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var argument in (string[])["-u", SystemUser, "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var message = new StringBuilder($"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}:");
            message.AppendLine().Append(await output).Append(await error);
            var log = await ReadLogAsync();
            if (log.Length > 0)
            {
                message.AppendLine().Append("server log: ").Append(log);
            }

            throw new InvalidOperationException(message.ToString());
        }
    }

    private static string Sanitize(string prefix)
    {
        var cleaned = NotIdentifier().Replace(prefix.ToLowerInvariant(), "_");
        return cleaned.Length > 40 ? cleaned[..40] : cleaned;
    }

    [GeneratedRegex("[^a-z0-9_]")]
    private static partial Regex NotIdentifier();
}

/// <summary>The test classes that share one throwaway PostgreSQL server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "postgres";
}
