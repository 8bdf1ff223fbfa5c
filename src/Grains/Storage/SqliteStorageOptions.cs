using Orleans.Storage;

namespace Mdl.Storage;

/// <summary>Configuration of one named SQLite grain storage provider (<see cref="SqliteStorageExtensions.AddSqliteGrainStorage"/>).</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>Default for <see cref="BusyTimeout"/>: how long to wait for another writer before failing.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default for <see cref="InitStage"/>: application services, so the table exists before any grain activates.</summary>
    public const int DefaultInitStage = ServiceLifecycleStage.ApplicationServices;

    /// <summary>
    /// Required. Full path to the SQLite database file, e.g. <c>/var/lib/mdl/grains.db</c>. The file and its
    /// directory are created if missing. No default: a relative path or <c>:memory:</c> is refused, because
    /// state that silently lands in the working directory or in RAM is state that is lost.
    /// </summary>
    public string DatabasePath { get; set; } = "";

    /// <summary>
    /// How long a statement waits for the database lock held by another connection or process before it fails
    /// (SQLite's <c>busy_timeout</c>). Default 30 seconds; must be between 1 millisecond and <see cref="int.MaxValue"/> milliseconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = DefaultBusyTimeout;

    /// <summary>Silo lifecycle stage at which the database is opened and the table created. Default <see cref="DefaultInitStage"/>.</summary>
    public int InitStage { get; set; } = DefaultInitStage;

    /// <summary>
    /// How state is turned into bytes. Default null: a serializer registered as a keyed <see cref="IGrainStorageSerializer"/>
    /// under the provider's name if there is one, otherwise Orleans's binary serializer (the one that crosses the wire,
    /// so <c>[GenerateSerializer]</c> types and registered surrogates such as the <c>JsonElement</c> one round-trip).
    /// </summary>
    public IGrainStorageSerializer? GrainStorageSerializer { get; set; }

    /// <summary>Fails fast, naming the provider and the setting to fix, when the options cannot work.</summary>
    internal void Validate(string providerName)
    {
        var prefix = $"SQLite grain storage '{providerName}': ";
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            throw new OrleansConfigurationException(
                prefix + $"set {nameof(SqliteStorageOptions)}.{nameof(DatabasePath)} to the full path of the database file, e.g. /var/lib/mdl/grains.db.");
        }

        if (!Path.IsPathFullyQualified(DatabasePath))
        {
            throw new OrleansConfigurationException(
                prefix + $"{nameof(DatabasePath)} must be a full path to the database file, not '{DatabasePath}'.");
        }

        if (Directory.Exists(DatabasePath))
        {
            throw new OrleansConfigurationException(
                prefix + $"{nameof(DatabasePath)} '{DatabasePath}' is a directory; set it to a file inside it, e.g. '{Path.Combine(DatabasePath, "grains.db")}'.");
        }

        if (BusyTimeout < TimeSpan.FromMilliseconds(1) || BusyTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new OrleansConfigurationException(
                prefix + $"{nameof(BusyTimeout)} must be between 1 ms and {int.MaxValue} ms, not {BusyTimeout}.");
        }
    }
}
