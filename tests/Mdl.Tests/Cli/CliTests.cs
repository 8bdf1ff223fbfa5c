using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mdl.Cli;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Tests.Goals;
using Mdl.Tests.Hosting;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Mdl.Tests.Cli;

/// <summary>The <c>mdl</c> command line, run in-process against the real silo: output, exit codes and error lines.</summary>
[Collection(SiloCollection.Name)]
public sealed partial class CliTests(SiloFixture silo)
{
    // The DESIGN §5 definition of user #55. Its topic is replaced per goal (see PutUser55Async): other tests publish to
    // catalog.updates on the shared silo, which would make these goals act.
    private const string User55 = TestDefinitions.User55Json;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Goals_put_get_list_and_delete_round_trip()
    {
        var id = NewGoalId();
        var file = Path.Combine(Path.GetTempPath(), $"{id}.json");
        await File.WriteAllTextAsync(file, User55On(id));
        try
        {
            var put = await RunAsync("goals", "put", id, "--file", file);
            Assert.Equal(0, put.Code);
            Assert.Contains($"goal {id}  active  version 1", put.Out);
            Assert.Contains("engagement.score", put.Out);
            Assert.Equal("", put.Err);

            var get = await RunAsync("goals", "get", id, "--json");
            Assert.Equal(0, get.Code);
            var snapshot = JsonSerializer.Deserialize<GoalSnapshot>(get.Out, MdlJson.Options)!;
            Assert.Equal(id, snapshot.GoalId);
            Assert.Equal(GoalStatus.Active, snapshot.Status);
            Assert.Equal(["recommend.items", "notify.push"], snapshot.Definition.AllowedFunctions);
            Assert.Equal("Keep user #55 engaged without spamming", snapshot.Definition.Description);

            var listed = await RunAsync("goals", "list");
            Assert.Equal(0, listed.Code);
            Assert.Matches($@"(?m)^{id}\s+active\s*$", listed.Out);

            var paused = await RunAsync("goals", "pause", id);
            Assert.Equal(0, paused.Code);
            Assert.Equal($"goal '{id}' paused", paused.Out.Trim());
            var resumed = await RunAsync("goals", "resume", id, "--json");
            Assert.Equal(0, resumed.Code);
            Assert.Equal(GoalStatus.Active, JsonSerializer.Deserialize<GoalSnapshot>(resumed.Out, MdlJson.Options)!.Status);

            var deleted = await RunAsync("goals", "delete", id);
            Assert.Equal(0, deleted.Code);
            Assert.Equal($"goal '{id}' deleted", deleted.Out.Trim());

            var afterDelete = await RunAsync("goals", "list", "--json");
            var listing = JsonSerializer.Deserialize<GoalListing[]>(afterDelete.Out, MdlJson.Options)!;
            Assert.Contains(new GoalListing(id, GoalStatus.Deleted), listing);

            // History remains after a delete: the goal still answers get, as deleted.
            var gone = await RunAsync("goals", "get", id, "--json");
            Assert.Equal(0, gone.Code);
            Assert.Equal(GoalStatus.Deleted, JsonSerializer.Deserialize<GoalSnapshot>(gone.Out, MdlJson.Options)!.Status);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Observe_of_a_low_engagement_score_leads_to_a_decision_that_decisions_shows()
    {
        var id = await PutUser55Async();

        var observed = await RunAsync("observe", id, "--kind", "user.activity", "--data", """{"score": 0.3}""", "--id", "low-1", "--source", "app");
        Assert.Equal(0, observed.Code);
        Assert.Contains("1 accepted, 0 duplicates (id low-1)", observed.Out);

        var again = await RunAsync("observe", id, "--kind", "user.activity", "--data", """{"score": 0.3}""", "--id", "low-1", "--json");
        Assert.Equal(0, again.Code);
        Assert.Equal("""{"accepted":0,"duplicates":1}""", again.Out.Trim());

        var decisions = await Eventually.WaitAsync(
            async () => JsonSerializer.Deserialize<DecisionRecord[]>((await RunAsync("decisions", id, "--json")).Out, MdlJson.Options)!,
            ds => ds.Any(d => d.Trigger.ObservationId == "low-1" && d.Chosen is not null && d.Outcome is not null),
            "a decision triggered by the low score, with its outcome");
        var first = decisions.Single(d => d.Trigger.ObservationId == "low-1");
        Assert.Contains(first.Chosen, new[] { "recommend.items", "notify.push" });
        Assert.True(first.Gaps["engagement.score"] > 0);

        var text = await RunAsync("decisions", id, "--limit", "50");
        Assert.Equal(0, text.Code);
        Assert.Matches($@"(?m)^#{first.Seq}\s+\S+\s+user\.activity\s+{Escape(first.Chosen!)}\s+[0-9.]+\s+{Escape(first.Outcome!.Status)}\s", text.Out);
    }

    [Fact]
    public async Task Put_with_an_unknown_operator_exits_1_naming_the_field_and_changes_nothing()
    {
        var id = await PutUser55Async();
        var bad = User55On(id).Replace("\">=\"", "\"~=\"", StringComparison.Ordinal);

        var refused = await RunWithStdinAsync(bad, "goals", "put", id, "--file", "-");

        Assert.Equal(1, refused.Code);
        Assert.Equal("", refused.Out);
        var lines = refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("objectives[0].op: ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"^\S+: \S", l));

        var get = await RunAsync("goals", "get", id, "--json");
        Assert.Equal(0, get.Code);
        var snapshot = JsonSerializer.Deserialize<GoalSnapshot>(get.Out, MdlJson.Options)!;
        Assert.Equal(1, snapshot.Version);
        Assert.Equal(">=", snapshot.Definition.Objectives[0].Op);
    }

    [Fact]
    public async Task Get_of_an_unknown_goal_exits_2_with_one_line()
    {
        var id = NewGoalId();

        var result = await RunAsync("goals", "get", id);

        Assert.Equal(2, result.Code);
        Assert.Equal("", result.Out);
        Assert.Equal($"goal '{id}' not found{Environment.NewLine}", result.Err);
    }

    [Fact]
    public async Task Observe_and_decisions_of_an_unknown_goal_exit_2()
    {
        var id = NewGoalId();

        var observed = await RunAsync("observe", id, "--kind", "user.activity", "--data", """{"score": 0.3}""");
        var decisions = await RunAsync("decisions", id);

        Assert.Equal(2, observed.Code);
        Assert.Contains($"goal '{id}'", observed.Err);
        Assert.Equal(2, decisions.Code);
        Assert.Equal($"goal '{id}' not found", decisions.Err.Trim());
    }

    [Theory]
    [InlineData("""{"score": """)]
    [InlineData("""{"score": 0.3,}""")]
    [InlineData("""[0.3]""")]
    [InlineData("""0.3""")]
    public async Task Observe_with_data_that_is_not_a_json_object_exits_1(string data)
    {
        var id = await PutUser55Async();

        var result = await RunAsync("observe", id, "--kind", "user.activity", "--data", data);

        Assert.Equal(1, result.Code);
        Assert.Equal("", result.Out);
        Assert.StartsWith("--data ", result.Err);
        Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var goal = JsonSerializer.Deserialize<GoalSnapshot>((await RunAsync("goals", "get", id, "--json")).Out, MdlJson.Options)!;
        Assert.Equal(0, goal.ObservationsProcessed);
    }

    [Fact]
    public async Task Put_with_a_file_that_is_not_json_exits_1_before_connecting()
    {
        var result = await CliApp.RunAsync(
            ["goals", "put", NewGoalId(), "--file", "-", "--gateway", $"127.0.0.1:{FreePorts.Next()}"],
            new StringReader("{ \"kind\": "),
            new StringWriter(),
            new StringWriter());

        Assert.Equal(1, result);
    }

    [Fact]
    public async Task Missing_arguments_are_a_usage_error_on_one_line()
    {
        var result = await RunAsync("observe");

        Assert.Equal(1, result.Code);
        Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("mdl --help", result.Err);
    }

    [Fact]
    public async Task An_unreachable_gateway_exits_3_within_a_bounded_time()
    {
        var port = FreePorts.Next();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var clock = Stopwatch.StartNew();

        var code = await CliApp.RunAsync(["goals", "list", "--gateway", $"127.0.0.1:{port}"], stdout, stderr).WaitAsync(Bound);

        Assert.Equal(3, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"took {clock.Elapsed}");
        Assert.StartsWith($"cannot reach the cluster at 127.0.0.1:{port}: ", stderr.ToString());
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", stdout.ToString());
    }

    [Theory]
    [InlineData("not a connection string")]
    [InlineData("Database=mdl;Username=mdl")]
    public async Task A_cluster_db_that_is_not_a_postgres_connection_string_exits_1_before_connecting(string clusterDb)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["goals", "list", "--cluster-db", clusterDb], stdout, stderr).WaitAsync(Bound);

        Assert.Equal(1, code);
        Assert.Equal("", stdout.ToString());
        Assert.Contains("the cluster database is not a PostgreSQL connection string", stderr.ToString());
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Watch_with_count_1_prints_a_decision_made_after_it_started()
    {
        var id = await PutUser55Async();
        var before = JsonSerializer.Deserialize<GoalSnapshot>((await RunAsync("goals", "get", id, "--json")).Out, MdlJson.Options)!;
        var output = new SignalingWriter($"watching goal '{id}'");
        var errors = new SignalingWriter("\n");

        var watching = CliApp.RunAsync([.. Connection(), "watch", id, "--count", "1"], output, errors);
        var ready = await Task.WhenAny(output.Seen, watching).WaitAsync(Bound);
        Assert.True(ready == output.Seen, $"watch ended before subscribing: {errors}");

        var observed = await RunAsync("observe", id, "--kind", "user.activity", "--data", """{"score": 0.2}""", "--id", "watched");
        Assert.Equal(0, observed.Code);

        var code = await watching.WaitAsync(Bound);
        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 2, output.ToString());
        var seq = long.Parse(DecisionSeq().Match(lines[1]).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(seq > before.DecisionsMade, $"decision #{seq} was made before the watch started");

        // The low score's decision, or one its outcome set off: Orleans may deliver the two notices in either order.
        Assert.Matches(@"^#\d+\s+\S+\s+(user\.activity|action\.result)\s+(notify\.push|recommend\.items)\s+utility\s", lines[1]);
        Assert.Equal("", errors.ToString());
    }

    [Fact]
    public async Task Functions_lists_both_built_ins_with_their_statistics()
    {
        var text = await RunAsync("functions");
        var json = await RunAsync("functions", "--json");

        Assert.Equal(0, text.Code);
        Assert.Matches(@"(?m)^NAME\s+COST\s+CALLS\s+FAILURES\s+P50\s+P95\s+SPEND\s+CIRCUIT", text.Out);
        Assert.Matches(@"(?m)^notify\.push\s+0\.01\s+\d+\s+\d+\s+", text.Out);
        Assert.Matches(@"(?m)^recommend\.items\s+0\.001\s+\d+\s+\d+\s+", text.Out);
        var functions = JsonSerializer.Deserialize<FunctionInfo[]>(json.Out, MdlJson.Options)!;
        Assert.Contains(functions, f => f.Descriptor.Name == "notify.push" && f.Descriptor.Effects.ContainsKey("engagement.score"));
        Assert.Contains(functions, f => f.Descriptor.Name == "recommend.items");
    }

    [Fact]
    public async Task Scenario_engagement_acts_on_a_low_score_and_stops_on_high_ones()
    {
        var id = NewGoalId();

        var result = await RunAsync("scenario", "engagement", "--goal-id", id).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.Code == 0, result.Err);
        Assert.Contains($"defined goal '{id}'", result.Out);
        Assert.Matches(@"the goal made \d+ decision\(s\), [1-9]\d* of them actions", result.Out);
        Assert.Contains("the goal stopped acting", result.Out);
        var decisions = JsonSerializer.Deserialize<DecisionRecord[]>((await RunAsync("decisions", id, "--json")).Out, MdlJson.Options)!;
        Assert.Contains(decisions, d => d.Chosen is not null && d.Outcome?.Status == OutcomeStatus.Succeeded);
    }

    private static string NewGoalId() => "cli-" + Guid.NewGuid().ToString("n")[..12];

    private static string Escape(string literal) => System.Text.RegularExpressions.Regex.Escape(literal);

    [System.Text.RegularExpressions.GeneratedRegex(@"^#(\d+)\s")]
    private static partial System.Text.RegularExpressions.Regex DecisionSeq();

    private static string User55On(string id) => User55.Replace("\"catalog.updates\"", $"\"{id}.updates\"", StringComparison.Ordinal);

    private async Task<string> PutUser55Async()
    {
        var id = NewGoalId();
        var put = await RunWithStdinAsync(User55On(id), "goals", "put", id, "--file", "-");
        Assert.True(put.Code == 0, put.Err);
        return id;
    }

    private string[] Connection()
    {
        // The fixture's silo runs under its own cluster id; read it from its client rather than repeat how it is chosen.
        var cluster = silo.Client.ServiceProvider.GetRequiredService<IOptions<ClusterOptions>>().Value;
        return ["--gateway", $"127.0.0.1:{silo.GatewayPort}", "--service-id", cluster.ServiceId, "--cluster-id", cluster.ClusterId];
    }

    private Task<CliResult> RunAsync(params string[] args) => RunWithStdinAsync("", args);

    private async Task<CliResult> RunWithStdinAsync(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync([.. args, .. Connection()], new StringReader(stdin), stdout, stderr).WaitAsync(Bound);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private sealed record CliResult(int Code, string Out, string Err);

    /// <summary>A thread-safe writer that signals once <paramref name="marker"/> has been written.</summary>
    private sealed class SignalingWriter(string marker) : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Seen => _seen.Task;

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
                if (_text.ToString().Contains(marker, StringComparison.Ordinal))
                {
                    _seen.TrySetResult();
                }
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
