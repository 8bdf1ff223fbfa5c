namespace Mdl.Silo.Ingress;

/// <summary>
/// How much one request may carry and how often a goal may be posted to (section <c>Mdl:Limits</c>; environment form
/// <c>Mdl__Limits__Key</c>). They bound what a single client can make the silo parse, store and fan out.
/// </summary>
public sealed class IngressLimits
{
    /// <summary>The highest <see cref="MaxRequestBodyBytes"/> accepted: 256 MiB.</summary>
    public const long MaxBodyCeiling = 256L * 1024 * 1024;

    /// <summary>The largest request body in bytes, for every endpoint. Default 1 MiB (1048576).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest goal definition (body of <c>PUT /api/goals/{id}</c>) in bytes. Default 64 KiB (65536).</summary>
    public long MaxDefinitionBytes { get; set; } = 64 * 1024;

    /// <summary>The most observations one request may carry. Default 1000.</summary>
    public int MaxObservationsPerRequest { get; set; } = 1000;

    /// <summary>
    /// Observation requests per second to one goal (or one topic), refilled continuously into a token bucket; 0 turns the
    /// limit off. Default 100. The bucket is per silo.
    /// </summary>
    public int ObservationRequestsPerSecond { get; set; } = 100;

    /// <summary>How many observation requests a goal may take at once before the rate applies. Default: the rate.</summary>
    public int? ObservationBurst { get; set; }

    /// <summary>The token bucket's size once the default is applied.</summary>
    public int EffectiveBurst => ObservationBurst ?? ObservationRequestsPerSecond;

    /// <summary>Checks the limits; one message per problem, saying what to set.</summary>
    public IEnumerable<string> Problems()
    {
        // A body is parsed in memory, so the ceiling is what one request may reasonably hold there.
        if (MaxRequestBodyBytes is < 1024 or > MaxBodyCeiling)
        {
            yield return $"Mdl__Limits__MaxRequestBodyBytes must be from 1024 to {MaxBodyCeiling}, not {MaxRequestBodyBytes}.";
        }

        if (MaxDefinitionBytes < 1024 || MaxDefinitionBytes > MaxRequestBodyBytes)
        {
            yield return $"Mdl__Limits__MaxDefinitionBytes must be from 1024 to Mdl__Limits__MaxRequestBodyBytes ({MaxRequestBodyBytes}), not {MaxDefinitionBytes}.";
        }

        if (MaxObservationsPerRequest < 1)
        {
            yield return $"Mdl__Limits__MaxObservationsPerRequest must be at least 1, not {MaxObservationsPerRequest}.";
        }

        if (ObservationRequestsPerSecond < 0)
        {
            yield return $"Mdl__Limits__ObservationRequestsPerSecond must be 0 (no limit) or more, not {ObservationRequestsPerSecond}.";
        }

        if (ObservationRequestsPerSecond > 0 && EffectiveBurst < 1)
        {
            yield return $"Mdl__Limits__ObservationBurst must be at least 1, not {EffectiveBurst}.";
        }
    }
}
