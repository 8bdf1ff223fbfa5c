using Orleans.Concurrency;

namespace Mdl.Functions;

/// <summary>Live statistics of a function, across the cluster.</summary>
[GenerateSerializer, Immutable, Alias("mdl.FunctionStats")]
public sealed record FunctionStats
{
    /// <summary>Calls made.</summary>
    [Id(0)] public long Calls { get; init; }

    /// <summary>Calls that failed or timed out.</summary>
    [Id(1)] public long Failures { get; init; }

    /// <summary>Calls that timed out.</summary>
    [Id(2)] public long Timeouts { get; init; }

    /// <summary>Median latency of recent calls.</summary>
    [Id(3)] public double? P50Ms { get; init; }

    /// <summary>95th-percentile latency of recent calls.</summary>
    [Id(4)] public double? P95Ms { get; init; }

    /// <summary>Total declared cost of the calls made.</summary>
    [Id(5)] public double Spend { get; init; }

    /// <summary>Circuit state: <c>closed</c>, <c>open</c> or <c>half-open</c>.</summary>
    [Id(6)] public string Circuit { get; init; } = "closed";

    /// <summary>When it was last called.</summary>
    [Id(7)] public DateTimeOffset? LastCallAt { get; init; }
}

/// <summary>A function's descriptor with its live statistics: a row of <c>GET /api/functions</c>.</summary>
[GenerateSerializer, Immutable, Alias("mdl.FunctionInfo")]
public sealed record FunctionInfo
{
    /// <summary>The descriptor.</summary>
    [Id(0)] public FunctionDescriptor Descriptor { get; init; } = new();

    /// <summary>The statistics.</summary>
    [Id(1)] public FunctionStats Stats { get; init; } = new();
}

/// <summary>One finished call, as reported to the function's statistics.</summary>
[GenerateSerializer, Immutable, Alias("mdl.FunctionCallSample")]
public sealed record FunctionCallSample(
    [property: Id(0)] string Status,
    [property: Id(1)] double DurationMs,
    [property: Id(2)] double Cost,
    [property: Id(3)] DateTimeOffset At);

/// <summary>The cluster-wide statistics of one function, keyed by function name.</summary>
[Alias("mdl.IFunctionStatsGrain")]
public interface IFunctionStatsGrain : IGrainWithStringKey
{
    /// <summary>Adds finished calls (one silo's, batched).</summary>
    [Alias("RecordMany"), OneWay]
    Task RecordManyAsync(FunctionCallSample[] samples);

    /// <summary>Returns the statistics.</summary>
    [Alias("Get")]
    Task<FunctionStats> GetAsync();
}

/// <summary>Lists the functions the cluster offers with their statistics.</summary>
[Alias("mdl.IFunctionCatalogGrain")]
public interface IFunctionCatalogGrain : IGrainWithIntegerKey
{
    /// <summary>Every function, ordered by name, with live statistics.</summary>
    [Alias("List")]
    Task<FunctionInfo[]> ListAsync();
}
