using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Mdl.Silo.Security;

/// <summary>An endpoint needs <see cref="Scope"/> (or a scope that includes it, see <see cref="ApiScopes.SatisfiedBy"/>).</summary>
internal sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

/// <summary>
/// Grants <see cref="ScopeRequirement"/> to a principal holding a satisfying scope — or, when no API key is configured
/// (the open embedded default), to any request that did not present credentials that failed: a wrong key or a bad
/// webhook signature is refused even then, so a misconfigured sender finds out before it goes to production.
/// </summary>
internal sealed class ScopeAuthorizationHandler(MdlCredentials credentials) : AuthorizationHandler<ScopeRequirement>
{
    /// <inheritdoc />
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (ApiScopes.SatisfiedBy(requirement.Scope).Any(scope => context.User.HasClaim(ApiScopes.ClaimType, scope)))
        {
            context.Succeed(requirement);
            return;
        }

        if (context.Resource is not HttpContext http)
        {
            return;
        }

        // A path no endpoint matches gets its 404: the fallback policy guards endpoints, not the absence of one.
        if (http.GetEndpoint() is null
            || (credentials.IsOpen && (await http.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName)).Failure is null))
        {
            context.Succeed(requirement);
        }
    }
}
