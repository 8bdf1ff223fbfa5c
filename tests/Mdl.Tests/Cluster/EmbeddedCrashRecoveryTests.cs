using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mdl.Decisions;
using Mdl.Goals;
using Mdl.Tests.Support;
using static Mdl.Tests.Cluster.CrashBetweenActAndOutcomeTests;

namespace Mdl.Tests.Cluster;

/// <summary>
/// The embedded mode's crash: one silo process on its SQLite file is killed with a call in flight, and the silo started
/// again on the same file re-issues the call by itself, without an observation or any other call to the goal.
/// </summary>
public sealed class EmbeddedCrashRecoveryTests : IAsyncLifetime
{
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
            (await http.PostAsync($"/api/goals/{GoalId}/observations", Json("""{"kind":"backlog.sample","data":{"depth":1}}"""))).EnsureSuccessStatusCode();
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

    private static HttpClient Http(SiloProcess silo) => new() { BaseAddress = new Uri($"http://127.0.0.1:{silo.HttpPort}") };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
