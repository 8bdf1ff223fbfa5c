using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mdl.Storage;

/// <summary>Silo setup for the SQLite grain storage provider.</summary>
public static class SqliteStorageExtensions
{
    /// <summary>
    /// Adds a named SQLite grain storage provider; grains reach it with
    /// <c>[PersistentState("state", name)]</c>. Several names may share one database file.
    /// </summary>
    public static ISiloBuilder AddSqliteGrainStorage(
        this ISiloBuilder builder, string name, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.AddOptions<SqliteStorageOptions>(name).Configure(configure);
        builder.Services.ConfigureNamedOptionForLogging<SqliteStorageOptions>(name);

        // Orleans 10 resolves a named provider as a keyed IGrainStorage; AddGrainStorage registers it so, and because
        // the provider is an ILifecycleParticipant<ISiloLifecycle> it also subscribes it to the silo lifecycle.
        builder.Services.AddGrainStorage(name, Create);
        return builder;
    }

    private static SqliteGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<SqliteStorageOptions>>().Get(name);

        // Not the silo-wide default IGrainStorageSerializer: that is Newtonsoft JSON, which ignores [Id]s and
        // surrogates and cannot round-trip System.Text.Json's JsonElement, which MDL state carries. Orleans's
        // binary serializer is the one grain state already crosses the wire with.
        var serializer = options.GrainStorageSerializer
            ?? services.GetKeyedService<IGrainStorageSerializer>(name)
            ?? BinaryGrainStorageSerializer.From(services);

        return new SqliteGrainStorage(
            name,
            options,
            serializer,
            services.GetRequiredService<IActivatorProvider>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILogger<SqliteGrainStorage>>());
    }
}
