using System.Globalization;
using System.Threading.RateLimiting;
using Mdl.Goals;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Net.Http.Headers;

namespace Mdl.Silo.Ingress;

/// <summary>
/// A token bucket per goal (and per topic) for observation posts, on ASP.NET Core's rate limiter: one noisy source
/// cannot flood a goal's loop, and other goals are not slowed by it. Refused requests get 429 with <c>Retry-After</c>.
/// </summary>
internal static class IngressRateLimiting
{
    /// <summary>The policy on the observation endpoints.</summary>
    public const string ObservationsPolicy = "mdl-observations";

    /// <summary>Registers the rate limiter with the configured <paramref name="limits"/>.</summary>
    public static IServiceCollection AddMdlRateLimiting(this IServiceCollection services, IngressLimits limits)
    {
        services.AddRateLimiter(rateLimiter =>
        {
            rateLimiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            rateLimiter.AddPolicy(ObservationsPolicy, http =>
            {
                var key = PartitionKey(http);
                return limits.ObservationRequestsPerSecond <= 0
                    ? RateLimitPartition.GetNoLimiter(key)
                    : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limits.EffectiveBurst,
                        TokensPerPeriod = limits.ObservationRequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            rateLimiter.OnRejected = async (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                    : 1;
                rejected.HttpContext.Response.Headers[HeaderNames.RetryAfter] = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(
                    $"{PartitionKey(rejected.HttpContext)} takes at most {limits.ObservationRequestsPerSecond} observation requests per second " +
                    $"(bursts of {limits.EffectiveBurst}); retry after {retryAfter} s. Nothing in this request was accepted.",
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many requests.").ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    /// <summary><c>goal 'id'</c> or <c>topic 'name'</c>; ids that are not valid names share one bucket (they are refused anyway).</summary>
    private static string PartitionKey(HttpContext http)
    {
        var (kind, name) = http.Request.RouteValues.TryGetValue("goalId", out var goal)
            ? ("goal", goal as string)
            : ("topic", http.Request.RouteValues["topic"] as string);
        return $"{kind} '{(GoalDefinitionValidator.IsName(name) ? name : "(invalid)")}'";
    }
}
