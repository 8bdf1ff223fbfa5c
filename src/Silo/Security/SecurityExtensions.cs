using Mdl.Silo.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Mdl.Silo.Security;

/// <summary>API keys with scopes and signed webhooks on ASP.NET Core's authentication and authorization.</summary>
internal static class SecurityExtensions
{
    /// <summary>Registers the <c>ApiKey</c> scheme, one policy per scope, and problem+json answers for 401 and 403.</summary>
    public static IServiceCollection AddMdlSecurity(this IServiceCollection services, MdlSiloOptions options)
    {
        services.AddSingleton(new MdlCredentials(options));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { });
        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        services.AddAuthorization(authorization =>
        {
            foreach (var scope in new[] { ApiScopes.Read, ApiScopes.Write, ApiScopes.Observe, ApiScopes.Admin })
            {
                authorization.AddPolicy(ApiScopes.Policy(scope), policy => policy.AddRequirements(new ScopeRequirement(scope)));
            }

            // An endpoint that names no scope (one added later and forgotten) is admin-only rather than open.
            authorization.FallbackPolicy = new AuthorizationPolicyBuilder().AddRequirements(new ScopeRequirement(ApiScopes.Admin)).Build();
        });
        return services;
    }

    /// <summary>Requires <paramref name="scope"/> (see <see cref="ApiScopes"/>) on the endpoints of <paramref name="builder"/>.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ApiScopes.Policy(scope));
}
