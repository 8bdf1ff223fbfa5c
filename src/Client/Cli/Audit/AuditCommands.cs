using System.CommandLine;
using Mdl.Audit;
using Mdl.Client;

namespace Mdl.Cli;

/// <summary><c>mdl audit list|verify</c>: read a goal's tamper-evident audit chain, and recompute it.</summary>
internal static class AuditCommands
{
    // Data longer than this is cut in the table; --json prints it whole.
    private const int DataWidth = 100;

    /// <summary>The <c>audit</c> command and its subcommands.</summary>
    public static Command Create(GlobalOptions global) => new("audit", "Read a goal's audit log and check that nobody has altered it.")
    {
        List(global),
        Verify(global),
    };

    private static Command List(GlobalOptions global)
    {
        var goalId = GoalCommands.GoalIdArgument();
        var after = new Option<long>("--after") { Description = "Only entries numbered above this.", DefaultValueFactory = _ => 0, HelpName = "seq" };
        after.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 0)
            {
                result.AddError("--after must not be negative");
            }
        });
        var limit = new Option<int>("--limit", "-n") { Description = "How many entries, oldest first.", DefaultValueFactory = _ => 100 };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > IAuditGrain.MaxPageSize)
            {
                result.AddError($"--limit must be between 1 and {IAuditGrain.MaxPageSize}");
            }
        });
        var command = new Command("list", "Show a goal's audit entries, oldest first: definition changes, decisions, calls, outcomes, refusals, pauses.")
        {
            goalId,
            after,
            limit,
        };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var afterSeq = parse.GetValue(after);
            var mdl = await session.ConnectAsync(ct);
            var entries = await mdl.ReadAuditAsync(id, afterSeq, parse.GetValue(limit), ct);
            if (entries.Length == 0 && afterSeq == 0)
            {
                await RequireGoalAsync(mdl, id, ct);
            }

            if (session.Json)
            {
                session.WriteJson(entries);
            }
            else if (entries.Length == 0)
            {
                session.Out.WriteLine("(no audit entries)");
            }
            else
            {
                var table = new TextTable("SEQ", "TIME", "KIND", "HASH", "DATA");
                foreach (var entry in entries)
                {
                    table.Add($"#{entry.Seq}", Text.Time(entry.Time), entry.Kind, ShortHash(entry.Hash), Cut(AuditChain.CanonicalJson(entry.Data)));
                }

                table.WriteTo(session.Out);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Verify(GlobalOptions global)
    {
        var goalId = GoalCommands.GoalIdArgument();
        var command = new Command("verify", "Recompute a goal's audit hash chain here; exit 2 naming the first broken entry when it was altered.")
        {
            goalId,
        };
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var mdl = await session.ConnectAsync(ct);
            var result = await mdl.VerifyAuditAsync(id, ct);
            if (result.Entries == 0)
            {
                await RequireGoalAsync(mdl, id, ct);
            }

            // The verdict is the command's answer, so it goes to stdout either way; the exit code tells scripts which.
            if (session.Json)
            {
                session.WriteJson(result);
            }
            else if (result.Break is { } broken)
            {
                session.Out.WriteLine($"audit chain of goal '{id}' broken at entry #{broken.Seq}: {CliSession.OneLine(broken.Reason)}");
            }
            else
            {
                session.Out.WriteLine($"audit chain of goal '{id}' intact: {result.Entries} {(result.Entries == 1 ? "entry" : "entries")}");
            }

            // A broken chain is the "refused" exit: the log cannot be trusted as it stands.
            return result.Intact ? ExitCodes.Ok : ExitCodes.NotFound;
        }));
        return command;
    }

    // An empty chain is fine for a goal that exists (nothing audited yet) but, as for decisions, a typo should say so.
    private static async Task RequireGoalAsync(MdlClient mdl, string goalId, CancellationToken ct)
    {
        if (await mdl.GetGoalAsync(goalId, ct) is null)
        {
            throw CliException.GoalNotFound(goalId);
        }
    }

    private static string Cut(string text) => text.Length <= DataWidth ? text : text[..(DataWidth - 3)] + "...";

    // Enough of a hash to compare by eye; --json has it whole.
    private static string ShortHash(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
