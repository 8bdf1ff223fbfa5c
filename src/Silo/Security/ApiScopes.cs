namespace Mdl.Silo.Security;

/// <summary>
/// What a credential may do. Keys carry <c>read</c>, <c>write</c> or <c>admin</c>; a signed webhook carries
/// <see cref="Observe"/> only. Endpoints name the scope they need (see <see cref="ScopeRequirement"/>).
/// </summary>
public static class ApiScopes
{
    /// <summary>GETs of the API, the dashboard and <c>/metrics</c>.</summary>
    public const string Read = "read";

    /// <summary>Changing things: PUT/DELETE goals, observations, topics, pause and resume.</summary>
    public const string Write = "write";

    /// <summary>Everything, including endpoints that name no scope.</summary>
    public const string Admin = "admin";

    /// <summary>Posting observations only: what a signed webhook may do. <see cref="Write"/> includes it.</summary>
    public const string Observe = "observe";

    /// <summary>The claim type a principal's scopes are carried in.</summary>
    public const string ClaimType = "scope";

    /// <summary>The scopes an API key may be given.</summary>
    public static readonly IReadOnlySet<string> Granted = new HashSet<string>(StringComparer.Ordinal) { Read, Write, Admin };

    /// <summary>The authorization policy name for an endpoint that needs <paramref name="scope"/>.</summary>
    public static string Policy(string scope) => "mdl-scope:" + scope;

    /// <summary>What a caller needs for an endpoint that needs <paramref name="scope"/>, in words for a 401 or 403 answer.</summary>
    public static string Describe(string scope) =>
        scope == Observe ? $"the '{Write}' scope or a signed webhook" : $"the '{scope}' scope";

    /// <summary>The scopes that satisfy <paramref name="needed"/>: itself, <see cref="Admin"/>, and <see cref="Write"/> for <see cref="Observe"/>.</summary>
    public static IReadOnlyList<string> SatisfiedBy(string needed) => needed switch
    {
        Admin => [Admin],
        Observe => [Observe, Write, Admin],
        _ => [needed, Admin],
    };
}
