using System.Text.Json;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Topics;

namespace Mdl.Silo.Ingress;

/// <summary>The HTTP API of DESIGN §5: goals, observations, decisions, functions.</summary>
internal static class ApiEndpoints
{
    /// <summary>The most decisions one request may ask for.</summary>
    public const int MaxDecisionLimit = 1000;

    /// <summary>Maps the API under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapMdlApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/goals", async (IGrainFactory grains) =>
            Results.Ok(await grains.GetGrain<IGoalRegistryGrain>(IGoalRegistryGrain.Key).ListAsync()));

        api.MapPut("/goals/{goalId}", PutGoalAsync);
        api.MapGet("/goals/{goalId}", GetGoalAsync);
        api.MapDelete("/goals/{goalId}", DeleteGoalAsync);
        api.MapPost("/goals/{goalId}/observations", ObserveAsync);
        api.MapPost("/goals/{goalId}/pause", (string goalId, IGrainFactory grains) => SetPausedAsync(goalId, grains, paused: true));
        api.MapPost("/goals/{goalId}/resume", (string goalId, IGrainFactory grains) => SetPausedAsync(goalId, grains, paused: false));
        api.MapGet("/goals/{goalId}/decisions", GetDecisionsAsync);
        api.MapPost("/topics/{topic}/observations", PublishAsync);
        api.MapGet("/functions", async (IGrainFactory grains) =>
            Results.Ok(await grains.GetGrain<IFunctionCatalogGrain>(0).ListAsync()));
        return app;
    }

    private static async Task<IResult> PutGoalAsync(string goalId, HttpRequest request, IGrainFactory grains)
    {
        if (BadName("goalId", goalId) is { } bad)
        {
            return bad;
        }

        var (body, error) = await ReadJsonAsync(request);
        if (error is not null)
        {
            return error;
        }

        GoalDefinition? definition;
        try
        {
            definition = body.Deserialize<GoalDefinition>(MdlJson.Options);
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
            return Results.Ok(await grains.GetGrain<IGoalGrain>(goalId).PutDefinitionAsync(definition));
        }
        catch (GoalDefinitionException exception)
        {
            return Results.ValidationProblem(exception.Errors, title: "The goal definition was refused.");
        }
    }

    private static async Task<IResult> GetGoalAsync(string goalId, IGrainFactory grains) =>
        BadName("goalId", goalId) ?? (await grains.GetGrain<IGoalGrain>(goalId).GetSnapshotAsync() is { } snapshot
            ? Results.Ok(snapshot)
            : NotFound(goalId));

    private static async Task<IResult> DeleteGoalAsync(string goalId, IGrainFactory grains) =>
        BadName("goalId", goalId) ?? (await grains.GetGrain<IGoalGrain>(goalId).DeleteAsync() ? Results.NoContent() : NotFound(goalId));

    private static async Task<IResult> SetPausedAsync(string goalId, IGrainFactory grains, bool paused)
    {
        if (BadName("goalId", goalId) is { } bad)
        {
            return bad;
        }

        try
        {
            var goal = grains.GetGrain<IGoalGrain>(goalId);
            return await (paused ? goal.PauseAsync() : goal.ResumeAsync()) is { } snapshot ? Results.Ok(snapshot) : NotFound(goalId);
        }
        catch (GoalNotFoundException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status404NotFound, title: "Goal not found.");
        }
    }

    private static async Task<IResult> ObserveAsync(string goalId, HttpRequest request, IGrainFactory grains)
    {
        var (observations, refused) = await ReadObservationsAsync("goalId", goalId, request, "none was accepted");
        if (refused is not null)
        {
            return refused;
        }

        try
        {
            var receipt = await grains.GetGrain<IGoalGrain>(goalId).ObserveAsync(observations!);
            return Results.Json(new { accepted = receipt.Accepted, duplicates = receipt.Duplicates }, MdlJson.Options, statusCode: StatusCodes.Status202Accepted);
        }
        catch (GoalNotFoundException exception)
        {
            return Results.Problem(exception.Message, statusCode: StatusCodes.Status404NotFound, title: "Goal not found.");
        }
    }

    private static async Task<IResult> PublishAsync(string topic, HttpRequest request, IGrainFactory grains)
    {
        var (observations, refused) = await ReadObservationsAsync("topic", topic, request, "none was published");
        if (refused is not null)
        {
            return refused;
        }

        var published = await grains.GetGrain<ITopicGrain>(topic).PublishAsync(observations!);
        return Results.Json(new { accepted = published }, MdlJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Checks the route's name and reads the body's observations; either the observations or the refusal.</summary>
    private static async Task<(Observation[]? Observations, IResult? Refused)> ReadObservationsAsync(
        string field, string name, HttpRequest request, string consequence)
    {
        if (BadName(field, name) is { } bad)
        {
            return (null, bad);
        }

        var (body, error) = await ReadJsonAsync(request);
        if (error is not null)
        {
            return (null, error);
        }

        var (observations, errors) = ObservationBody.Parse(body);
        return observations is null
            ? (null, Results.ValidationProblem(errors, title: $"The observations were refused; {consequence}."))
            : (observations, null);
    }

    private static async Task<IResult> GetDecisionsAsync(string goalId, HttpRequest request, IGrainFactory grains)
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

        var goal = grains.GetGrain<IGoalGrain>(goalId);
        if (await goal.GetSnapshotAsync() is null)
        {
            return NotFound(goalId);
        }

        DecisionRecord[] decisions = await goal.GetDecisionsAsync(limit);
        return Results.Ok(decisions);
    }

    private static async Task<(JsonElement Body, IResult? Error)> ReadJsonAsync(HttpRequest request)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(
                request.Body, new JsonDocumentOptions { MaxDepth = 32 }, request.HttpContext.RequestAborted);
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException exception)
        {
            var where = exception.LineNumber is { } line ? $" (line {line + 1}, byte {exception.BytePositionInLine + 1})" : "";
            return (default, Invalid("body", $"is not valid JSON{where}"));
        }
        catch (BadHttpRequestException exception)
        {
            return (default, Results.Problem(exception.Message, statusCode: exception.StatusCode, title: "The request body was refused."));
        }
    }

    private static IResult? BadName(string field, string value) =>
        GoalDefinitionValidator.IsName(value) ? null : Invalid(field, "must be 1–64 letters, digits, '.', '-' or '_'");

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request was refused.");

    private static IResult NotFound(string goalId) =>
        Results.Problem($"goal '{goalId}' is not defined", statusCode: StatusCodes.Status404NotFound, title: "Goal not found.");
}
