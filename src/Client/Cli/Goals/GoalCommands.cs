using System.CommandLine;
using System.Text.Json;
using Mdl.Goals;

namespace Mdl.Cli;

/// <summary><c>mdl goals put|get|delete|list|pause|resume</c>.</summary>
internal static class GoalCommands
{
    /// <summary>The <c>goals</c> command and its subcommands.</summary>
    public static Command Create(GlobalOptions global) => new("goals", "Define, inspect, list, pause, resume and delete goals.")
    {
        Put(global),
        Get(global),
        Delete(global),
        List(global),
        Pause(global, paused: true),
        Pause(global, paused: false),
    };

    /// <summary>A required, non-empty goal id argument.</summary>
    public static Argument<string> GoalIdArgument()
    {
        var argument = new Argument<string>("goalId") { Description = "The goal's id, e.g. user-55." };
        argument.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("the goal id must not be empty");
            }
        });
        return argument;
    }

    /// <summary>Reads a goal definition from a file, or stdin for <c>-</c>; a usage error when unreadable or not JSON.</summary>
    public static GoalDefinition ReadDefinition(string path, TextReader stdin)
    {
        var source = path == "-" ? "stdin" : path;
        string text;
        try
        {
            text = path == "-" ? stdin.ReadToEnd() : File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw CliException.Usage($"cannot read {source}: {exception.Message}");
        }

        try
        {
            return JsonSerializer.Deserialize<GoalDefinition>(text, MdlJson.Options)
                ?? throw CliException.Usage($"{source} holds null, not a goal definition");
        }
        catch (JsonException exception)
        {
            throw CliException.Usage($"invalid JSON in {source}: {exception.Message}");
        }
    }

    private static Command Put(GlobalOptions global)
    {
        var goalId = GoalIdArgument();
        var file = new Option<string>("--file", "-f")
        {
            Description = "The goal definition (JSON), or - to read it from stdin.",
            Required = true,
            HelpName = "path|-",
        };
        var command = new Command("put", "Create or replace a goal's definition.") { goalId, file };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var definition = ReadDefinition(parse.GetRequiredValue(file), session.In);
            var mdl = await session.ConnectAsync(ct);
            var goal = await mdl.PutGoalAsync(id, definition, ct);
            Write(session, goal);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Get(GlobalOptions global)
    {
        var goalId = GoalIdArgument();
        var command = new Command("get", "Show a goal: definition, metrics, objectives, actions in flight, spend.") { goalId };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var mdl = await session.ConnectAsync(ct);
            var goal = await mdl.GetGoalAsync(id, ct) ?? throw CliException.GoalNotFound(id);
            Write(session, goal);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Delete(GlobalOptions global)
    {
        var goalId = GoalIdArgument();
        var command = new Command("delete", "Stop a goal observing and acting; its history and audit remain.") { goalId };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var mdl = await session.ConnectAsync(ct);
            if (!await mdl.DeleteGoalAsync(id, ct))
            {
                throw CliException.GoalNotFound(id);
            }

            if (session.Json)
            {
                session.WriteJson(new { goalId = id, status = GoalStatus.Deleted });
            }
            else
            {
                session.Out.WriteLine($"goal '{id}' deleted");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Pause(GlobalOptions global, bool paused)
    {
        var goalId = GoalIdArgument();
        var command = paused
            ? new Command("pause", "Stop a goal acting (a runaway, say); it keeps observing and updating its metrics.") { goalId }
            : new Command("resume", "Let a paused goal act again; it decides at once if an objective is violated.") { goalId };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var mdl = await session.ConnectAsync(ct);
            var snapshot = await (paused ? mdl.PauseGoalAsync(id, ct) : mdl.ResumeGoalAsync(id, ct)) ?? throw CliException.GoalNotFound(id);
            if (session.Json)
            {
                session.WriteJson(snapshot);
            }
            else
            {
                session.Out.WriteLine($"goal '{id}' {snapshot.Status}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(GlobalOptions global)
    {
        var command = new Command("list", "List every goal ever defined, with its status.");
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var mdl = await session.ConnectAsync(ct);
            var goals = await mdl.ListGoalsAsync(ct);
            if (session.Json)
            {
                session.WriteJson(goals);
            }
            else if (goals.Length == 0)
            {
                session.Out.WriteLine("(no goals)");
            }
            else
            {
                var table = new TextTable("GOAL", "STATUS");
                foreach (var goal in goals)
                {
                    table.Add(goal.GoalId, goal.Status);
                }

                table.WriteTo(session.Out);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Write(CliSession session, GoalSnapshot goal)
    {
        if (session.Json)
        {
            session.WriteJson(goal);
        }
        else
        {
            Text.WriteGoal(session.Out, goal);
        }
    }
}
