using System.CommandLine;

namespace Mdl.Cli;

/// <summary><c>mdl scenario &lt;name&gt;</c>: scripted tours of the decision loop against a running cluster.</summary>
internal static class ScenarioCommand
{
    /// <summary>The <c>scenario</c> command.</summary>
    public static Command Create(GlobalOptions global)
    {
        var name = new Argument<string>("name") { Description = "The scenario to run: engagement." };
        name.AcceptOnlyFromAmong(EngagementScenario.Name);
        var goalId = new Option<string>("--goal-id")
        {
            Description = "The goal the scenario defines and drives.",
            DefaultValueFactory = _ => EngagementScenario.DefaultGoalId,
        };
        var command = new Command("scenario", "Run a scripted scenario: engagement defines user #55's goal, lets it act on a low score, then shows it stop.")
        {
            name,
            goalId,
        };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            if (string.IsNullOrWhiteSpace(id))
            {
                throw CliException.Usage("--goal-id must not be empty");
            }

            var mdl = await session.ConnectAsync(ct);
            return await new EngagementScenario(session, mdl, id, TimeProvider.System).RunAsync(ct);
        }));
        return command;
    }
}
