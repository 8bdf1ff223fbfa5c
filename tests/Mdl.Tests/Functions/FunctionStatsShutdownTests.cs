using System.Collections.Concurrent;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Hosting;
using Mdl.Observations;
using Mdl.Silo;
using Mdl.Tests.Goals;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Functions;

/// <summary>
/// A silo that stops right after calls finished ships their statistics while it still can, instead of a batch that fails
/// to be placed on a silo shutting down (which Orleans logs as an error, since the statistics message is one-way).
/// </summary>
public sealed class FunctionStatsShutdownTests : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "mdl-stats-stop-" + Guid.NewGuid().ToString("n"));
    private readonly WarningLog _log = new();
    private readonly ShippedSamples _shipped = new();
    private WebApplication? _app;

    [Fact]
    public async Task A_silo_stopping_within_the_shipping_interval_of_a_finished_call_logs_no_failure_about_statistics()
    {
        _app = MdlSiloApp.Build(TestSilos.Args(_dataPath, "stats-stop"), builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddProvider(_log);
            builder.Services.AddSingleton<IIncomingGrainCallFilter>(_shipped);
            builder.Services.AddMdlFunction<DrainFunction>();
        });
        await _app.StartAsync();
        var goal = _app.Services.GetRequiredService<IClusterClient>().GetGrain<IGoalGrain>(Definitions.NewGoalId("stats-stop"));
        await goal.PutDefinitionAsync(Definitions.Queue());
        await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);
        await Eventually.WaitAsync(() => goal.GetDecisionsAsync(1), d => d is [{ Outcome: not null }], "a finished call");
        var shippedBefore = _shipped.Count;

        // At once: the finished call's sample still waits for its batch.
        await _app.StopAsync();

        // The batch reached the statistics grain as the silo stopped, rather than being dropped or failing.
        Assert.True(_shipped.Count > shippedBefore, $"no statistics were shipped as the silo stopped ({shippedBefore} before)");
        var failures = _log.Entries.Where(e => e.Contains("IFunctionStatsGrain", StringComparison.Ordinal) || e.Contains("statistics", StringComparison.Ordinal)).ToArray();
        if (failures.Length > 0)
        {
            Assert.Fail($"the silo logged, about statistics:\n{string.Join("\n", failures)}");
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => TestSilos.StopAndDeleteAsync(_app, http: null, _dataPath);

    /// <summary>Counts the finished calls that statistics grains receive.</summary>
    private sealed class ShippedSamples : IIncomingGrainCallFilter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name == nameof(IFunctionStatsGrain.RecordManyAsync)
                && context.InterfaceMethod.DeclaringType == typeof(IFunctionStatsGrain)
                && context.Request.GetArgument(0) is FunctionCallSample[] samples)
            {
                Interlocked.Add(ref _count, samples.Length);
            }

            return context.Invoke();
        }
    }

    /// <summary>Keeps every warning and error the silo logs, with its category.</summary>
    private sealed class WarningLog : ILoggerProvider
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
                }
            }
        }
    }
}
