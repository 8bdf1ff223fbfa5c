using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mdl.Bench.Hosting;

/// <summary>
/// Counts warnings and errors per category and keeps the first message of each, instead of printing them: a warning
/// per loop would cost CPU inside the measurements and bury the table. The counts are part of the report.
/// </summary>
internal sealed class CountingLoggerProvider : ILoggerProvider
{
    private static readonly ConcurrentDictionary<string, (long Count, string First)> Seen = new(StringComparer.Ordinal);

    /// <summary>Warnings and errors so far: "category (level)" → count and first message.</summary>
    public static IReadOnlyDictionary<string, (long Count, string First)> Counts => Seen;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Counter(categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Counter(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var first = formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})");
            Seen.AddOrUpdate($"{category} ({logLevel})", (1, first), (_, seen) => (seen.Count + 1, seen.First));
        }
    }
}
