using System.CommandLine;

namespace Mdl.Cli;

/// <summary><c>mdl decisions</c> (history) and <c>mdl watch</c> (live).</summary>
internal static class DecisionCommands
{
    /// <summary>The <c>decisions</c> command.</summary>
    public static Command Decisions(GlobalOptions global)
    {
        var goalId = GoalCommands.GoalIdArgument();
        var limit = new Option<int>("--limit", "-n") { Description = "How many decisions, newest first.", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 1000)
            {
                result.AddError("--limit must be between 1 and 1000");
            }
        });
        var command = new Command("decisions", "Show a goal's recent decisions, newest first, with every candidate's score or exclusion in --json.")
        {
            goalId,
            limit,
        };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var mdl = await session.ConnectAsync(ct);
            var decisions = await mdl.GetDecisionsAsync(id, parse.GetValue(limit), ct);

            // A goal never defined has no decisions either: say which it is.
            if (decisions.Length == 0 && await mdl.GetGoalAsync(id, ct) is null)
            {
                throw CliException.GoalNotFound(id);
            }

            if (session.Json)
            {
                session.WriteJson(decisions);
            }
            else
            {
                Text.WriteDecisions(session.Out, decisions);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The <c>watch</c> command.</summary>
    public static Command Watch(GlobalOptions global)
    {
        var goalId = GoalCommands.GoalIdArgument();
        var count = new Option<int?>("--count", "-c") { Description = "Stop after this many records (a decision and its outcome are two)." };
        count.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--count must be at least 1");
            }
        });
        var command = new Command("watch", "Stream a goal's decisions as they are made, and their outcomes, one line each, until Ctrl+C.")
        {
            goalId,
            count,
        };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var limit = parse.GetValue(count);
            var mdl = await session.ConnectAsync(ct);
            if (await mdl.GetGoalAsync(id, ct) is null)
            {
                throw CliException.GoalNotFound(id);
            }

            await using var watch = await mdl.WatchAsync(id, ct);
            if (!session.Json)
            {
                session.Out.WriteLine($"watching goal '{id}' (Ctrl+C to stop)");
                await session.Out.FlushAsync(ct);
            }

            var received = 0;
            try
            {
                await foreach (var decision in watch.ReadAllAsync(ct))
                {
                    if (session.Json)
                    {
                        session.WriteJson(decision);
                    }
                    else
                    {
                        session.Out.WriteLine(Text.DecisionLine(decision));
                    }

                    await session.Out.FlushAsync(ct);
                    if (++received >= limit)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C is how a watch normally ends.
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
