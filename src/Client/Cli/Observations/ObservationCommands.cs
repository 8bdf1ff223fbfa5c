using System.CommandLine;
using System.Text.Json;
using Mdl.Observations;

namespace Mdl.Cli;

/// <summary><c>mdl observe</c> (straight to a goal) and <c>mdl publish</c> (to a topic, fanning out to subscribed goals).</summary>
internal static class ObservationCommands
{
    /// <summary>The <c>observe</c> command.</summary>
    public static Command Observe(GlobalOptions global)
    {
        var goalId = GoalCommands.GoalIdArgument();
        var fields = new ObservationOptions();
        var command = new Command("observe", "Send one observation straight to a goal; returns once it is durably accepted.") { goalId };
        fields.AddTo(command);
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var id = parse.GetRequiredValue(goalId);
            var observation = fields.Read(parse);
            var mdl = await session.ConnectAsync(ct);
            var receipt = await mdl.ObserveAsync(id, [observation], ct);
            if (session.Json)
            {
                session.WriteJson(receipt);
            }
            else
            {
                session.Out.WriteLine($"goal '{id}': {receipt.Accepted} accepted, {receipt.Duplicates} duplicates (id {observation.Id})");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The <c>publish</c> command.</summary>
    public static Command Publish(GlobalOptions global)
    {
        var topic = new Argument<string>("topic") { Description = "The topic, e.g. catalog.updates." };
        topic.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("the topic must not be empty");
            }
        });
        var fields = new ObservationOptions();
        var command = new Command("publish", "Publish one observation to a topic; every goal subscribed to it observes it.") { topic };
        fields.AddTo(command);
        command.SetAction((parse, ct) => CliSession.RunAsync(parse, global, ct, async (session, ct) =>
        {
            var name = parse.GetRequiredValue(topic);
            var observation = fields.Read(parse);
            var mdl = await session.ConnectAsync(ct);
            var published = await mdl.PublishAsync(name, [observation], ct);
            if (session.Json)
            {
                session.WriteJson(new { topic = name, published });
            }
            else
            {
                session.Out.WriteLine($"topic '{name}': {published} published (id {observation.Id})");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Parses <c>--data</c>: it must be a JSON object.</summary>
    public static JsonElement ParseData(string? text)
    {
        if (text is null)
        {
            return Observation.EmptyData;
        }

        JsonElement data;
        try
        {
            data = JsonSerializer.Deserialize<JsonElement>(text, MdlJson.Options);
        }
        catch (JsonException exception)
        {
            throw CliException.Usage($"--data is not valid JSON: {exception.Message}");
        }

        return data.ValueKind == JsonValueKind.Object
            ? data
            : throw CliException.Usage($"--data must be a JSON object, e.g. {{\"score\": 0.4}}, not {data.ValueKind.ToString().ToLowerInvariant()}");
    }

    /// <summary>The options that make up one observation.</summary>
    private sealed class ObservationOptions
    {
        private readonly Option<string> _kind = new("--kind", "-k") { Description = "What happened, e.g. user.activity.", Required = true };
        private readonly Option<string> _data = new("--data", "-d") { Description = "The payload: a JSON object, e.g. '{\"score\": 0.4}'. Default {}." };
        private readonly Option<string> _id = new("--id") { Description = "The dedupe key; resending the same id is ignored. Default: a fresh id." };
        private readonly Option<string> _source = new("--source") { Description = "Who reports it, e.g. app." };

        public void AddTo(Command command)
        {
            _kind.Validators.Add(result =>
            {
                if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
                {
                    result.AddError("--kind must not be empty");
                }
            });
            command.Options.Add(_kind);
            command.Options.Add(_data);
            command.Options.Add(_id);
            command.Options.Add(_source);
        }

        public Observation Read(ParseResult parse)
        {
            // The id is chosen here, not at ingress, so the line printed names the observation that was sent.
            var observation = new Observation(parse.GetRequiredValue(_kind), ParseData(parse.GetValue(_data)), parse.GetValue(_source));
            return parse.GetValue(_id) is { Length: > 0 } id ? observation with { Id = id } : observation;
        }
    }
}
