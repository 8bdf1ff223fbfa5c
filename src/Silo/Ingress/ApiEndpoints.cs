using System.Text.Json;
using System.Text.Unicode;
using Mdl.Audit;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Silo.Security;
using Mdl.Topics;
using Microsoft.AspNetCore.Http.Features;

namespace Mdl.Silo.Ingress;

/// <summary>The HTTP API of DESIGN §5: goals, observations, decisions, functions.</summary>
internal static class ApiEndpoints
{
    /// <summary>The most decisions one request may ask for.</summary>
    public const int MaxDecisionLimit = 1000;

    /// <summary>The API's JSON options for definitions, also refusing an explicit null where the field may not be null (<c>"kind": null</c>).</summary>
    private static readonly JsonSerializerOptions DefinitionJson = new(MdlJson.Options) { RespectNullableAnnotations = true };

    /// <summary>
    /// Maps the API under <c>/api</c>. Each endpoint names the scope it needs (see <see cref="ApiScopes"/>): GETs need
    /// <c>read</c>, changes <c>write</c>, observation posts <c>observe</c> (which <c>write</c> and signed webhooks carry);
    /// an endpoint that names none is admin-only.
    /// </summary>
    public static IEndpointRouteBuilder MapMdlApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/goals", async (IGrainFactory grains) =>
            Results.Ok(await GoalRegistry.ListAsync(grains))).RequireScope(ApiScopes.Read);

        api.MapPut("/goals/{goalId}", PutGoalAsync).RequireScope(ApiScopes.Write);
        api.MapGet("/goals/{goalId}", GetGoalAsync).RequireScope(ApiScopes.Read);
        api.MapDelete("/goals/{goalId}", DeleteGoalAsync).RequireScope(ApiScopes.Write);
        api.MapPost("/goals/{goalId}/observations", ObserveAsync)
            .RequireScope(ApiScopes.Observe)
            .RequireRateLimiting(IngressRateLimiting.ObservationsPolicy);
        api.MapPost("/goals/{goalId}/pause", (string goalId, GrainReferences<IGoalGrain> goals) => SetPausedAsync(goalId, goals, paused: true))
            .RequireScope(ApiScopes.Write);
        api.MapPost("/goals/{goalId}/resume", (string goalId, GrainReferences<IGoalGrain> goals) => SetPausedAsync(goalId, goals, paused: false))
            .RequireScope(ApiScopes.Write);
        api.MapGet("/goals/{goalId}/decisions", GetDecisionsAsync).RequireScope(ApiScopes.Read);
        api.MapGet("/goals/{goalId}/audit", GetAuditAsync).RequireScope(ApiScopes.Read);
        api.MapPost("/topics/{topic}/observations", PublishAsync)
            .RequireScope(ApiScopes.Observe)
            .RequireRateLimiting(IngressRateLimiting.ObservationsPolicy);
        api.MapGet("/functions", async (IGrainFactory grains) =>
            Results.Ok(await grains.GetGrain<IFunctionCatalogGrain>(0).ListAsync())).RequireScope(ApiScopes.Read);
        return app;
    }

    private static async Task<IResult> PutGoalAsync(string goalId, HttpRequest request, GrainReferences<IGoalGrain> goals, IngressLimits limits)
    {
        if (BadName("goalId", goalId) is { } bad)
        {
            return bad;
        }

        var (body, error) = await ReadJsonAsync(request, limits.MaxDefinitionBytes);
        if (error is not null)
        {
            return error;
        }

        GoalDefinition? definition;
        try
        {
            definition = body.Deserialize<GoalDefinition>(DefinitionJson);
        }
        catch (JsonException exception)
        {
            return Invalid(ObservationBody.FieldOf(exception.Path), ObservationBody.Describe(exception));
        }

        if (definition is null || body.ValueKind != JsonValueKind.Object)
        {
            return Invalid("body", "must be a goal definition object");
        }

        try
        {
            return Results.Ok(await goals.For(goalId).PutDefinitionAsync(definition));
        }
        catch (GoalDefinitionException exception)
        {
            return Results.ValidationProblem(exception.Errors, title: "The goal definition was refused.");
        }
    }

    private static async Task<IResult> GetGoalAsync(string goalId, GrainReferences<IGoalGrain> goals) =>
        BadName("goalId", goalId) ?? (await goals.For(goalId).GetSnapshotAsync() is { } snapshot
            ? Results.Ok(snapshot)
            : NotFound(goalId));

    private static async Task<IResult> DeleteGoalAsync(string goalId, GrainReferences<IGoalGrain> goals) =>
        BadName("goalId", goalId) ?? (await goals.For(goalId).DeleteAsync() ? Results.NoContent() : NotFound(goalId));

    private static async Task<IResult> SetPausedAsync(string goalId, GrainReferences<IGoalGrain> goals, bool paused)
    {
        if (BadName("goalId", goalId) is { } bad)
        {
            return bad;
        }

        try
        {
            var goal = goals.For(goalId);
            return await (paused ? goal.PauseAsync() : goal.ResumeAsync()) is { } snapshot ? Results.Ok(snapshot) : NotFound(goalId);
        }
        catch (GoalNotFoundException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status404NotFound, title: "Goal not found.");
        }
    }

    private static async Task<IResult> ObserveAsync(string goalId, HttpRequest request, GrainReferences<IGoalGrain> goals, IngressLimits limits)
    {
        var (observations, refused) = await ReadObservationsAsync("goalId", goalId, request, limits, "none was accepted");
        if (refused is not null)
        {
            return refused;
        }

        try
        {
            var receipt = await goals.For(goalId).ObserveAsync(observations!);
            return Results.Json(new { accepted = receipt.Accepted, duplicates = receipt.Duplicates }, MdlJson.Options, statusCode: StatusCodes.Status202Accepted);
        }
        catch (GoalNotFoundException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status404NotFound, title: "Goal not found.");
        }
    }

    private static async Task<IResult> PublishAsync(string topic, HttpRequest request, GrainReferences<ITopicGrain> topics, IngressLimits limits)
    {
        var (observations, refused) = await ReadObservationsAsync("topic", topic, request, limits, "none was published");
        if (refused is not null)
        {
            return refused;
        }

        var published = await topics.For(topic).PublishAsync(observations!);
        return Results.Json(new { accepted = published }, MdlJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Checks the route's name and reads the body's observations; either the observations or the refusal.</summary>
    private static async Task<(Observation[]? Observations, IResult? Refused)> ReadObservationsAsync(
        string field, string name, HttpRequest request, IngressLimits limits, string consequence)
    {
        if (BadName(field, name) is { } bad)
        {
            return (null, bad);
        }

        var (body, error) = await ReadJsonAsync(request, limits.MaxRequestBodyBytes);
        if (error is not null)
        {
            return (null, error);
        }

        var (observations, errors) = ObservationBody.Parse(body, limits.MaxObservationsPerRequest);
        return observations is null
            ? (null, Results.ValidationProblem(errors, title: $"The observations were refused; {consequence}."))
            : (observations, null);
    }

    private static async Task<IResult> GetDecisionsAsync(string goalId, HttpRequest request, GrainReferences<IGoalGrain> goals)
    {
        if (BadName("goalId", goalId) is { } bad)
        {
            return bad;
        }

        var limit = 50;
        if (request.Query.TryGetValue("limit", out var raw) && (!int.TryParse(raw, out limit) || limit is < 1 or > MaxDecisionLimit))
        {
            return Invalid("limit", $"must be a whole number from 1 to {MaxDecisionLimit}");
        }

        var goal = goals.For(goalId);
        if (await goal.GetSnapshotAsync() is null)
        {
            return NotFound(goalId);
        }

        DecisionRecord[] decisions = await goal.GetDecisionsAsync(limit);
        return Results.Ok(decisions);
    }

    private static async Task<IResult> GetAuditAsync(string goalId, HttpRequest request, GrainReferences<IGoalGrain> goals, IGrainFactory grains)
    {
        if (BadName("goalId", goalId) is { } bad)
        {
            return bad;
        }

        long after = 0;
        var limit = 100;
        if (request.Query.TryGetValue("after", out var rawAfter) && (!long.TryParse(rawAfter, out after) || after < 0))
        {
            return Invalid("after", "must be a whole number, 0 or more (the last sequence number already read)");
        }

        if (request.Query.TryGetValue("limit", out var rawLimit) && (!int.TryParse(rawLimit, out limit) || limit < 1 || limit > IAuditGrain.MaxPageSize))
        {
            return Invalid("limit", $"must be a whole number from 1 to {IAuditGrain.MaxPageSize}");
        }

        if (await goals.For(goalId).GetSnapshotAsync() is null)
        {
            return NotFound(goalId);
        }

        return Results.Ok(await grains.GetGrain<IAuditGrain>(IAuditGrain.Key).ReadAsync(goalId, after, limit));
    }

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> of body, checks it is UTF-8 and parses it as JSON (depth ≤ 32);
    /// either the document or a 4xx problem. Nothing reaches a grain before this has passed.
    /// </summary>
    private static async Task<(JsonElement Body, IResult? Error)> ReadJsonAsync(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength > maxBytes)
        {
            return (default, TooLarge(maxBytes));
        }

        // The server stops a body that grows past the limit without a Content-Length (chunked) as well.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size
            && (size.MaxRequestBodySize is null || size.MaxRequestBodySize > maxBytes))
        {
            size.MaxRequestBodySize = maxBytes;
        }

        byte[] bytes;
        try
        {
            using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return (default, TooLarge(maxBytes));
                }

                buffer.Write(chunk, 0, read);
            }

            bytes = buffer.ToArray();
        }
        catch (BadHttpRequestException exception)
        {
            return (default, Results.Problem(exception.Message, statusCode: exception.StatusCode, title: "The request body was refused."));
        }

        if (bytes.Length == 0)
        {
            return (default, Invalid("body", "is empty; send a JSON document"));
        }

        // Invalid UTF-8 would otherwise surface later, as an exception while turning a string into .NET text.
        if (!Utf8.IsValid(bytes))
        {
            return (default, Invalid("body", "is not valid UTF-8"));
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            root = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            var where = exception.LineNumber is { } line ? $" (line {line + 1}, byte {exception.BytePositionInLine + 1})" : "";
            return (default, Invalid("body", $"is not valid JSON{where}"));
        }

        // 1e400 is valid JSON but no double: refused here rather than read as infinity by a metric or a policy later.
        return ObservationBody.NonFiniteNumber(root, "") is { } field
            ? (default, Invalid(field.Length == 0 ? "body" : field, "is a number out of range (it must fit a double)"))
            : (root, null);
    }

    private static IResult TooLarge(long maxBytes) =>
        Results.Problem($"the body may be at most {maxBytes} bytes", statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large.");

    private static IResult? BadName(string field, string value) =>
        GoalDefinitionValidator.IsName(value) ? null : Invalid(field, "must be 1–64 letters, digits, '.', '-' or '_'");

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request was refused.");

    private static IResult NotFound(string goalId) =>
        Results.Problem($"goal '{goalId}' is not defined", statusCode: StatusCodes.Status404NotFound, title: "Goal not found.");
}
