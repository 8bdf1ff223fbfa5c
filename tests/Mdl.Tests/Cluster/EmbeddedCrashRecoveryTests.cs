using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mdl.Decisions;
using Mdl.Goals;
using Mdl.Tests.Support;
using Microsoft.Data.Sqlite;
using static Mdl.Tests.Cluster.CrashBetweenActAndOutcomeTests;

namespace Mdl.Tests.Cluster;

/// <summary>
/// The embedded mode's crash: one silo process on its SQLite file is killed with a call in flight, or with a wake-up that
/// falls due before it comes back, and the silo started again on the same file acts on it by itself, without an
/// observation or any other call to the goal.
/// </summary>
public sealed class EmbeddedCrashRecoveryTests : IAsyncLifetime
{
    private const string Sample = """{"id":"sample-1","kind":"backlog.sample","data":{"depth":1}}""";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"mdl-embedded-crash-{Guid.NewGuid():N}");
    private readonly string _effects = Path.Combine(Path.GetTempPath(), $"mdl-effects-{Guid.NewGuid():N}.txt");
    private readonly string _held = Path.Combine(Path.GetTempPath(), $"mdl-held-{Guid.NewGuid():N}.txt");
    private readonly List<SiloProcess> _silos = [];

    public Task InitializeAsync()
    {
        File.WriteAllText(_effects, "");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        File.Delete(_effects);
        File.Delete(_held);
        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Fact]
    public async Task A_silo_restarted_on_its_file_after_a_crash_reissues_the_call_that_was_in_flight_by_itself()
    {
        // The worker's record of the result is held, so the call is still in flight in the file when the silo dies. The
        // call times out after 10 s and is overdue 1 s later.
        var first = await StartAsync(new()
        {
            ["MDL_TEST_HOLD_RESULT_RECORDS"] = _held,
            [FileEffectTimeoutVariable] = "10000",
            ["Mdl__Recovery__Grace"] = "00:00:01",
        });
        using (var http = Http(first))
        {
            var definition = JsonSerializer.Serialize(Backlog, MdlJson.Options);
            (await http.PutAsync($"/api/goals/{GoalId}", Json(definition))).EnsureSuccessStatusCode();
            (await http.PostAsync($"/api/goals/{GoalId}/observations", Json(Sample))).EnsureSuccessStatusCode();
        }

        await Eventually.WaitAsync(() => Task.FromResult(Lines(_held)), h => h.Contains(Key), "the held result record", Bound);
        first.Kill();

        // The new silo looks at start and then every second; nothing else calls the goal.
        var second = await StartAsync(new() { ["Mdl__Recovery__SweepPeriod"] = "00:00:01" });
        await Eventually.WaitAsync(
            () => Task.FromResult(Lines(_effects)), e => e.Length > 1, "the call re-issued by the restarted silo", Bound);
        Assert.Equal([Key, $"{Key} reissued"], Lines(_effects));

        using var client = Http(second);
        var snapshot = await Eventually.WaitAsync(
            () => client.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{GoalId}", MdlJson.Options),
            s => s is { InFlight.Length: 0, ActionsTaken: 1 }, "the re-issued call's outcome", Bound);
        Assert.Equal(1, snapshot!.DecisionsMade);
        var decisions = await client.GetFromJsonAsync<DecisionRecord[]>($"/api/goals/{GoalId}/decisions", MdlJson.Options);
        Assert.Equal(OutcomeStatus.Succeeded, Assert.Single(decisions!).Outcome!.Status);
    }

    [Fact]
    public async Task A_silo_restarted_on_its_file_after_a_crash_takes_the_wake_up_that_was_due_meanwhile_by_itself()
    {
        // The call's expected effect (backlog −1) is given 3 s to show; it never does, so the goal is due to re-decide and
        // call again then. The silo dies before that, and nothing calls the goal afterwards.
        var first = await StartAsync(new() { ["Mdl__Recovery__Grace"] = "00:00:01" });
        using (var http = Http(first))
        {
            await ActOnceWithAShortHorizonAsync(http);

            // A duplicate is acknowledged only once the goal's pending changes are written, the outcome and the wake-up it
            // asks for among them: the crash below loses nothing but the in-memory wake-up.
            (await http.PostAsync($"/api/goals/{GoalId}/observations", Json(Sample))).EnsureSuccessStatusCode();
        }

        first.Kill();
        Assert.Equal([Key], Lines(_effects));

        var second = await StartAsync(new() { ["Mdl__Recovery__SweepPeriod"] = "00:00:01" });
        await Eventually.WaitAsync(
            () => Task.FromResult(Lines(_effects)), e => e.Length > 1, "the call of the wake-up the restarted silo took", Bound);
        Assert.Equal([Key, $"{GoalId}/2"], Lines(_effects));

        using var client = Http(second);
        var decisions = await Eventually.WaitAsync(
            () => client.GetFromJsonAsync<DecisionRecord[]>($"/api/goals/{GoalId}/decisions", MdlJson.Options),
            d => d is { Length: 2 } && d.All(x => x.Outcome is not null), "the second call's outcome", Bound);
        Assert.Equal("goal.clock", decisions!.Single(d => d.Seq == 2).Trigger.Kind);
    }

    [Fact]
    public async Task A_recovered_goal_with_nothing_to_do_stores_that_it_is_no_longer_due()
    {
        // The goal acts, then is paused with its call's effect pending for 3 s: when that wake-up comes, a paused goal
        // decides nothing and writes nothing.
        var first = await StartAsync(new() { ["Mdl__Recovery__Grace"] = "00:00:01" });
        using (var http = Http(first))
        {
            await ActOnceWithAShortHorizonAsync(http);
            (await http.PostAsync($"/api/goals/{GoalId}/pause", null)).EnsureSuccessStatusCode();
        }

        first.Kill();
        Assert.NotNull(StoredDueAt());

        // The restarted silo finds the goal due and activates it; the goal takes the wake-up, finds nothing to do, and
        // writes that nothing is due, so later looks pass it by.
        var second = await StartAsync(new() { ["Mdl__Recovery__SweepPeriod"] = "00:00:01" });
        await Eventually.WaitAsync(() => Task.FromResult(StoredDueAt()), due => due is null, "the goal's due moment cleared", Bound);
        Assert.Equal([Key], Lines(_effects));
        using var client = Http(second);
        var snapshot = await client.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{GoalId}", MdlJson.Options);
        Assert.Equal((GoalStatus.Paused, 1L), (snapshot!.Status, snapshot.DecisionsMade));
    }

    /// <summary>
    /// Defines the backlog goal with 3 s for its call's expected effect (backlog −1) to show, sends <see cref="Sample"/>,
    /// and waits for the call's outcome. The effect never shows, so the goal is due to re-decide 3 s after the outcome.
    /// </summary>
    private static async Task ActOnceWithAShortHorizonAsync(HttpClient http)
    {
        var definition = JsonSerializer.Serialize(Backlog with { EffectHorizon = "PT3S" }, MdlJson.Options);
        (await http.PutAsync($"/api/goals/{GoalId}", Json(definition))).EnsureSuccessStatusCode();
        (await http.PostAsync($"/api/goals/{GoalId}/observations", Json(Sample))).EnsureSuccessStatusCode();
        await Eventually.WaitAsync(
            () => http.GetFromJsonAsync<GoalSnapshot>($"/api/goals/{GoalId}", MdlJson.Options),
            s => s is { InFlight.Length: 0, ActionsTaken: 1 }, "the first call's outcome", Bound);
    }

    private async Task<SiloProcess> StartAsync(Dictionary<string, string> environment)
    {
        environment["Mdl__DataPath"] = _dataPath;
        environment["MDL_TEST_EFFECTS_FILE"] = _effects;
        var logs = Path.Combine(Path.GetTempPath(), "mdl-cluster-tests", Path.GetFileName(_dataPath));
        Directory.CreateDirectory(logs);
        var silo = SiloProcess.Start($"silo-{_silos.Count}", logs, environment, SiloBuild.WithTestFunctions);
        _silos.Add(silo);
        await silo.WaitReadyAsync(ProcessCluster.StartTimeout);
        return silo;
    }

    /// <summary>The goal's <c>due_at</c> column in the SQLite file, read beside the running silo (WAL lets a reader in).</summary>
    private long? StoredDueAt()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataPath, "mdl.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT due_at FROM grain_state WHERE state_name = 'goal' AND grain_id = $grain_id";
        command.Parameters.AddWithValue("$grain_id", $"mdl.goal/{GoalId}");
        return command.ExecuteScalar() is long due ? due : null;
    }

    private static HttpClient Http(SiloProcess silo) => new() { BaseAddress = new Uri($"http://127.0.0.1:{silo.HttpPort}") };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
