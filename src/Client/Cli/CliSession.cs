using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mdl.Client;
using Mdl.Goals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Mdl.Cli;

/// <summary>
/// One command's run: its output writers, its global options, and the cluster connection, opened only when the command
/// gets that far (so argument and JSON errors never wait for a cluster).
/// </summary>
internal sealed partial class CliSession : IAsyncDisposable
{
    // Beyond the client's own retry deadline: a gateway that accepts TCP but never answers must not hang the CLI.
    private static readonly TimeSpan ConnectGrace = TimeSpan.FromSeconds(3);

    private readonly MdlClientOptions _options;
    private IHost? _host;

    private CliSession(ParseResult parse, GlobalOptions global)
    {
        Out = parse.InvocationConfiguration.Output;
        Err = parse.InvocationConfiguration.Error;
        In = global.Stdin;
        Json = parse.GetValue(global.Json);
        _options = new MdlClientOptions
        {
            Gateways = [.. parse.GetValue(global.Gateway) ?? []],
            ClusterDatabase = parse.GetValue(global.ClusterDatabase),
            ServiceId = parse.GetValue(global.ServiceId) ?? "",
            ClusterId = parse.GetValue(global.ClusterId) ?? "",
        };
    }

    /// <summary>Where results go.</summary>
    public TextWriter Out { get; }

    /// <summary>Where errors go.</summary>
    public TextWriter Err { get; }

    /// <summary>What <c>--file -</c> reads.</summary>
    public TextReader In { get; }

    /// <summary>Whether <c>--json</c> was given.</summary>
    public bool Json { get; }

    /// <summary>Where the cluster was looked for (the gateways, or the cluster database), for messages.</summary>
    public string Gateways => _options.Describe();

    /// <summary>Runs <paramref name="body"/> in a session and turns what it throws into an exit code and one line per error on stderr.</summary>
    public static async Task<int> RunAsync(
        ParseResult parse, GlobalOptions global, CancellationToken ct, Func<CliSession, CancellationToken, Task<int>> body)
    {
        var session = new CliSession(parse, global);
        try
        {
            return await body(session, ct);
        }
        catch (Exception exception)
        {
            return session.Report(exception, ct);
        }
        finally
        {
            await session.DisposeAsync();
        }
    }

    /// <summary>Connects to the cluster (once); throws <see cref="ClusterUnreachableException"/> when no gateway answers in time.</summary>
    public async Task<MdlClient> ConnectAsync(CancellationToken ct)
    {
        if (_host is not null)
        {
            return _host.Services.GetRequiredService<MdlClient>();
        }

        if (_options.Validate() is { Count: > 0 } problems)
        {
            throw CliException.Usage(string.Join("; ", problems));
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMdlClient(o =>
        {
            o.Gateways = _options.Gateways;
            o.ClusterDatabase = _options.ClusterDatabase;
            o.ServiceId = _options.ServiceId;
            o.ClusterId = _options.ClusterId;
        });

        // The CLI handles Ctrl+C itself; the default console lifetime would also hook the process's signals.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        var host = builder.Build();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.ConnectTimeout + ConnectGrace);
        try
        {
            await host.StartAsync(deadline.Token);
        }
        catch (Exception exception) when (!ct.IsCancellationRequested)
        {
            await DisposeHostAsync(host);
            var reason = exception is OperationCanceledException
                ? $"no answer within {(_options.ConnectTimeout + ConnectGrace).TotalSeconds:0} s"
                : Describe(exception);
            throw new ClusterUnreachableException(
                $"cannot reach the cluster at {Gateways}: {reason}; is a silo of service '{_options.ServiceId}', cluster '{_options.ClusterId}' listening there?",
                exception);
        }
        catch
        {
            await DisposeHostAsync(host);
            throw;
        }

        _host = host;
        return host.Services.GetRequiredService<MdlClient>();
    }

    /// <summary>Prints <paramref name="value"/> as one line of camelCase JSON.</summary>
    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, MdlJson.Options));

    /// <summary>Writes one error line to stderr.</summary>
    public void Error(string message) => Err.WriteLine(OneLine(message));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_host is { } host)
        {
            _host = null;
            await DisposeHostAsync(host);
        }
    }

    private int Report(Exception exception, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("MDL_DEBUG") is { Length: > 0 })
        {
            // For bug reports: the whole chain, after which the usual one-line message follows.
            Err.WriteLine(exception.ToString());
        }

        switch (exception)
        {
            case CliException cli:
                Error(cli.Message);
                return cli.ExitCode;
            case GoalDefinitionException refused:
                foreach (var (field, messages) in refused.Errors.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    foreach (var message in messages)
                    {
                        Error($"{field}: {message}");
                    }
                }

                return ExitCodes.Usage;
            case GoalNotFoundException notFound:
                Error(notFound.Message);
                return ExitCodes.NotFound;
            case ClusterUnreachableException unreachable:
                Error(unreachable.Message);
                return ExitCodes.Unreachable;
            case SiloUnavailableException or ConnectionFailedException or OrleansMessageRejectionException or TimeoutException:
                Error($"cannot reach the cluster at {Gateways}: {Describe(exception)}");
                return ExitCodes.Unreachable;
            case OperationCanceledException when ct.IsCancellationRequested:
                Error("interrupted");
                return ExitCodes.Interrupted;
            case ArgumentException argument:
                Error(argument.Message);
                return ExitCodes.Usage;
            default:
                // Anything else the cluster threw back is a refusal of this request, not a usage error.
                Error($"refused: {Describe(exception)}");
                return ExitCodes.NotFound;
        }
    }

    private static async Task DisposeHostAsync(IHost host)
    {
        try
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await host.StopAsync(stopping.Token);
        }
        catch (Exception)
        {
            // Leaving anyway: the cluster notices a vanished client by itself.
        }
        finally
        {
            host.Dispose();
        }
    }

    private static string Describe(Exception exception)
    {
        var innermost = exception;
        while (innermost.InnerException is { } inner && innermost is AggregateException or ConnectionFailedException or OrleansException)
        {
            innermost = inner;
        }

        var text = innermost == exception ? exception.Message : $"{exception.Message} ({innermost.Message})";

        // Orleans's own reconnect schedule means nothing to someone whose command has already given up.
        return OneLine(RetryNoise().Replace(text, ""));
    }

    /// <summary>Folds a message onto one line.</summary>
    public static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    [GeneratedRegex(@", will retry after [0-9.]+ ?ms")]
    private static partial Regex RetryNoise();

    /// <summary>A host lifetime that neither waits for nor listens to the console: the command decides when it ends.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
