using System.CommandLine;

namespace Mdl.Cli;

/// <summary><c>mdl functions</c>.</summary>
internal static class FunctionCommands
{
    /// <summary>The <c>functions</c> command.</summary>
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("functions", "List the functions goals can call, with cost, calls, failures, latency, spend and circuit state.");
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var mdl = await session.ConnectAsync(ct);
            var functions = await mdl.ListFunctionsAsync(ct);
            if (session.Json)
            {
                session.WriteJson(functions);
            }
            else
            {
                Text.WriteFunctions(session.Out, functions);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
