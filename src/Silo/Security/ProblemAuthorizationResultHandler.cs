using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Net.Http.Headers;

namespace Mdl.Silo.Security;

/// <summary>
/// Answers a refused request with problem+json that says what is missing: 401 when there are no valid credentials
/// (and why the presented ones were refused), 403 when valid credentials lack the endpoint's scope.
/// </summary>
internal sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    /// <inheritdoc />
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Challenged && !authorizeResult.Forbidden)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var needed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().FirstOrDefault()?.Scope
            ?? policy.Requirements.OfType<ScopeRequirement>().FirstOrDefault()?.Scope
            ?? ApiScopes.Admin;

        if (authorizeResult.Challenged)
        {
            var authentication = await context.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName);
            var detail = authentication.Failure is { } failure
                ? $"{char.ToUpperInvariant(failure.Message[0])}{failure.Message[1..]}. This endpoint needs {ApiScopes.Describe(needed)}."
                : $"This endpoint needs an API key with {ApiScopes.Describe(needed)}: send 'Authorization: ApiKey <key>' or 'X-Api-Key: <key>'.";
            context.Response.Headers.Append(HeaderNames.WWWAuthenticate, "ApiKey realm=\"mdl\"");
            if (context.Request.Path.StartsWithSegments("/dashboard", StringComparison.OrdinalIgnoreCase))
            {
                // A browser prompts for Basic credentials; the key goes in the password.
                context.Response.Headers.Append(HeaderNames.WWWAuthenticate, "Basic realm=\"mdl dashboard\", charset=\"UTF-8\"");
            }

            await Results.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Authentication required.").ExecuteAsync(context);
            return;
        }

        var name = context.User.FindFirstValue(ClaimTypes.Name) ?? "the caller";
        var credential = context.User.FindFirstValue(ApiKeyAuthenticationHandler.CredentialClaim) == "webhook"
            ? $"webhook '{name}' may only post observations"
            : $"API key '{name}' has {DescribeScopes(context.User.FindAll(ApiScopes.ClaimType).Select(c => c.Value))}";
        await Results.Problem(
            $"This endpoint needs {ApiScopes.Describe(needed)}; {credential}.",
            statusCode: StatusCodes.Status403Forbidden,
            title: "Not allowed.").ExecuteAsync(context);
    }

    private static string DescribeScopes(IEnumerable<string> scopes)
    {
        var list = scopes.Order(StringComparer.Ordinal).Select(s => $"'{s}'").ToList();
        return list.Count == 0 ? "no scope" : (list.Count == 1 ? "only " : "") + string.Join(", ", list);
    }
}
