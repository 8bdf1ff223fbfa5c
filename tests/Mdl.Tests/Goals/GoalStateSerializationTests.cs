using System.Text.Json;
using Mdl.Decisions;
using Mdl.Goals;
using Mdl.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Mdl.Tests.Goals;

/// <summary>What a goal writes on every change survives Orleans's serializer, including states written in the older forms of the dedupe window and the decisions.</summary>
public sealed class GoalStateSerializationTests
{
    private static readonly Serializer Serializer = ProductSerializer.Serializer;

    [Fact]
    public void The_dedupe_window_round_trips_in_order()
    {
        var state = new GoalState { RecentObservations = [.. new[] { "a", "", "ünïcode/1", new string('x', 300) }.Select(ObservationFingerprint.Of)] };

        var copy = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(state));

        Assert.Equal(state.RecentObservations, copy!.RecentObservations);
        Assert.Equal(4, copy.RecentObservations.Distinct().Count());
    }

    [Fact]
    public void A_window_that_wrapped_round_its_ring_is_written_oldest_first_and_copied_the_same()
    {
        var window = new ObservationWindow(4);
        foreach (var fingerprint in new ulong[] { 1, 2, 3, 4 })
        {
            window.Add(fingerprint);
        }

        // Forget two and remember three: the newest now sit before the oldest in the ring.
        window.RemoveOldest(2);
        foreach (var fingerprint in new ulong[] { 5, 6 })
        {
            window.Add(fingerprint);
        }

        window.RemoveOldest(1);
        window.Add(7);

        Assert.Equal([4UL, 5, 6, 7], window);
        Assert.Equal(5UL, window[1]);
        var copy = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(new GoalState { RecentObservations = window }));
        Assert.Equal([4UL, 5, 6, 7], copy!.RecentObservations);
        Assert.Equal([4UL, 5, 6, 7], ProductSerializer.Services.GetRequiredService<Orleans.Serialization.DeepCopier>().Copy(window));

        // The stored form is the one a plain list of the same fingerprints had: 8 little-endian bytes each, oldest first.
        var flat = new ObservationWindow([4UL, 5, 6, 7]);
        Assert.Equal(Serializer.SerializeToArray(new GoalState { RecentObservations = flat }), Serializer.SerializeToArray(new GoalState { RecentObservations = window }));
    }

    [Fact]
    public void The_wake_up_moment_round_trips_and_the_due_moment_is_not_serialised()
    {
        // Storage keeps the due moment in its own column, and the goal restores it from the wake-up moment at activation;
        // in the payload it would only cost bytes on every write.
        var wake = new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var state = new GoalState { WakeAt = wake, DueAt = DateTimeOffset.UnixEpoch, Version = 3 };

        var bytes = Serializer.SerializeToArray(state);
        var copy = Serializer.Deserialize<GoalState>(bytes);

        Assert.Equal(wake, copy!.WakeAt);
        Assert.Null(copy.DueAt);
        Assert.Equal(3, copy.Version);
        Assert.Equal(Serializer.SerializeToArray(new GoalState { WakeAt = wake, Version = 3 }).Length, bytes.Length);
    }

    [Fact]
    public void A_state_with_the_dedupe_window_as_a_byte_array_field_still_loads_it_and_is_written_the_same()
    {
        var fingerprints = new[] { ObservationFingerprint.Of("o1"), ObservationFingerprint.Of("o2"), ulong.MaxValue };
        var old = new LegacyArrayGoalState { RecentObservationFingerprints = [.. fingerprints.SelectMany(BitConverter.GetBytes)] };

        var loaded = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(old));
        var written = Serializer.Deserialize<LegacyArrayGoalState>(Serializer.SerializeToArray(new GoalState { RecentObservations = [.. fingerprints] }));

        Assert.Equal(fingerprints, loaded!.RecentObservations);
        Assert.Equal(old.RecentObservationFingerprints, written!.RecentObservationFingerprints);
    }

    [Fact]
    public void A_state_with_the_dedupe_window_as_separate_strings_still_loads_it()
    {
        var old = new LegacyGoalState { RecentObservationIds = ["o1", "o2"] };

        var loaded = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(old));

        Assert.Equal([ObservationFingerprint.Of("o1"), ObservationFingerprint.Of("o2")], loaded!.RecentObservations);
    }

    [Fact]
    public void A_state_with_the_dedupe_window_as_one_block_of_ids_still_loads_it()
    {
        var old = new LegacyUtf8GoalState { RecentObservationIdsUtf8 = LengthPrefixedUtf8("o1", "ünïcode/2") };

        var loaded = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(old));

        Assert.Equal([ObservationFingerprint.Of("o1"), ObservationFingerprint.Of("ünïcode/2")], loaded!.RecentObservations);
    }

    [Fact]
    public void Decisions_round_trip_in_the_state_and_the_history()
    {
        var first = new DecisionRecord { Seq = 1, GoalId = "g", Chosen = "f", Reason = "gap", Utility = 0.5, Arguments = JsonDocument.Parse("""{"a":[1,2]}""").RootElement.Clone() };
        var second = new DecisionRecord { Seq = 2, GoalId = "g", Reason = "no gap", Gaps = new() { ["m"] = 1.5 } };
        var state = new GoalState { Decisions = [first, second] };
        var history = new DecisionHistoryState { Decisions = [first] };

        var copy = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(state))!;
        var historyCopy = Serializer.Deserialize<DecisionHistoryState>(Serializer.SerializeToArray(history))!;

        Assert.Equal(2, copy.Decisions.Count);
        Assert.Equal((1L, "g", "f", "gap", 0.5), (copy.Decisions[0].Seq, copy.Decisions[0].GoalId, copy.Decisions[0].Chosen, copy.Decisions[0].Reason, copy.Decisions[0].Utility));
        Assert.Equal("""{"a":[1,2]}""", copy.Decisions[0].Arguments!.Value.GetRawText());
        Assert.Equal(second.Gaps, copy.Decisions[1].Gaps);
        Assert.Equal(1, historyCopy.Decisions.Single().Seq);

        // The same records written again give the same bytes (the second time from the bytes kept); a record that
        // changed (gained its outcome) is encoded anew.
        Assert.Equal(Serializer.SerializeToArray(state), Serializer.SerializeToArray(state));
        state.Decisions[1] = second with { Outcome = new ActionOutcome { Status = OutcomeStatus.Succeeded } };
        var changed = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(state))!;
        Assert.Equal(OutcomeStatus.Succeeded, changed.Decisions[1].Outcome!.Status);
    }

    /// <summary>The window's earlier stored form, written here as the silo wrote it then: per id, its UTF-8 length and bytes.</summary>
    private static byte[] LengthPrefixedUtf8(params string[] ids) =>
        [.. ids.SelectMany(id => BitConverter.GetBytes(System.Text.Encoding.UTF8.GetByteCount(id)).Concat(System.Text.Encoding.UTF8.GetBytes(id)))];

    [Fact]
    public void A_state_with_decisions_as_a_plain_list_still_loads_them()
    {
        var old = new LegacyDecisionsGoalState { Decisions = [new DecisionRecord { Seq = 7, GoalId = "g" }] };

        var loaded = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(old));

        Assert.Equal(7, loaded!.Decisions.Single().Seq);
    }

    [Fact]
    public void A_pending_action_s_effects_and_baselines_round_trip()
    {
        var action = new PendingAction { Seq = 3, Function = "f" };
        action.ExpectedEffects["a"] = 1.5;
        action.ExpectedEffects["b"] = -2;
        action.Baselines["a"] = 10;
        var state = new GoalState { Actions = [action] };

        var copy = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(state))!.Actions.Single();

        Assert.Equal([new("a", 1.5), new("b", -2.0)], copy.ExpectedEffects.ToArray());
        Assert.Equal([new KeyValuePair<string, double>("a", 10)], copy.Baselines.ToArray());
    }

    [Fact]
    public void A_state_with_a_pending_action_s_effects_and_baselines_as_dictionaries_still_loads_them()
    {
        var old = new LegacyActionsGoalState
        {
            Actions = [new LegacyPendingAction { Seq = 4, Function = "f", ExpectedEffects = new() { ["a"] = 2, ["b"] = 3 }, Baselines = new() { ["a"] = 7 } }],
        };

        var loaded = Serializer.Deserialize<GoalState>(Serializer.SerializeToArray(old))!.Actions.Single();

        Assert.Equal((4L, "f"), (loaded.Seq, loaded.Function));
        Assert.Equal(2, loaded.ExpectedEffects["a"]);
        Assert.Equal(3, loaded.ExpectedEffects["b"]);
        Assert.Equal(2, loaded.ExpectedEffects.Count);
        Assert.Equal(7, Assert.Single(loaded.Baselines).Value);
    }
}

/// <summary>The goal state's actions field (id 7) holding actions in their earlier form.</summary>
[GenerateSerializer, Alias("mdl.GoalState.legacy-actions-test")]
public sealed class LegacyActionsGoalState
{
    [Id(7)] public List<LegacyPendingAction> Actions { get; set; } = [];
}

/// <summary>A pending action as stored before its maps were <see cref="MetricValues"/> (ids 5 and 6, dictionaries).</summary>
[GenerateSerializer, Alias("mdl.PendingAction.legacy-test")]
public sealed class LegacyPendingAction
{
    [Id(0)] public long Seq { get; set; }

    [Id(1)] public string Function { get; set; } = "";

    [Id(5)] public Dictionary<string, double> ExpectedEffects { get; set; } = [];

    [Id(6)] public Dictionary<string, double> Baselines { get; set; } = [];
}

/// <summary>The field the dedupe window was first stored in (id 4, a list of strings).</summary>
[GenerateSerializer, Alias("mdl.GoalState.legacy-test")]
public sealed class LegacyGoalState
{
    [Id(4)] public List<string> RecentObservationIds { get; set; } = [];
}

/// <summary>The field the dedupe window was stored in next (id 15, one block of UTF-8 ids).</summary>
[GenerateSerializer, Alias("mdl.GoalState.legacy-utf8-test")]
public sealed class LegacyUtf8GoalState
{
    [Id(15)] public byte[] RecentObservationIdsUtf8 { get; set; } = [];
}

/// <summary>The dedupe window's field as it was declared before it had a type of its own (id 17, a byte array).</summary>
[GenerateSerializer, Alias("mdl.GoalState.legacy-array-test")]
public sealed class LegacyArrayGoalState
{
    [Id(17)] public byte[] RecentObservationFingerprints { get; set; } = [];
}

/// <summary>The field decisions were stored in before the decision log (id 5, a list of records).</summary>
[GenerateSerializer, Alias("mdl.GoalState.legacy-decisions-test")]
public sealed class LegacyDecisionsGoalState
{
    [Id(5)] public List<DecisionRecord> Decisions { get; set; } = [];
}
