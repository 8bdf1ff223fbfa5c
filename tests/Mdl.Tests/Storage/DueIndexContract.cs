using Mdl.Storage;
using Orleans.Storage;

namespace Mdl.Tests.Storage;

/// <summary>Throwaway persisted state that names when its grain falls due, as a goal with calls in flight does.</summary>
[GenerateSerializer, Alias("mdl.tests.DueCounterState")]
public sealed class DueCounterState : IDueState
{
    /// <summary>A counter.</summary>
    [Id(0)] public int Count { get; set; }

    /// <inheritdoc />
    [field: NonSerialized]
    public DateTimeOffset? DueAt { get; set; }
}

/// <summary>What every <see cref="IDueGrainIndex"/> must do, run against each storage that keeps one.</summary>
internal static class DueIndexContract
{
    private const string StateName = "due-counter";

    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    /// <summary>
    /// Grains fall due at the moment their last write named, in grain id order, a page at a time; a write that names no
    /// moment takes the grain out, and other state names are not listed. The moment is not part of the state read back.
    /// </summary>
    public static async Task ListsWhatTheLastWriteMadeDueAsync<TStorage>(TStorage storage)
        where TStorage : IGrainStorage, IDueGrainIndex
    {
        var states = new Dictionary<string, GrainState<DueCounterState>>();
        async Task WriteAsync(string key, DateTimeOffset? due, string stateName = StateName)
        {
            var state = states.TryGetValue(stateName + key, out var known) ? known : states[stateName + key] = new(new DueCounterState());
            state.State!.Count++;
            state.State.DueAt = due;
            await storage.WriteStateAsync(stateName, Grain(key), state);
        }

        await WriteAsync("c", T0.AddSeconds(10));
        await WriteAsync("a", T0.AddSeconds(20));
        await WriteAsync("b", T0.AddSeconds(5));
        await WriteAsync("idle", null);
        await WriteAsync("other", T0, stateName: "other-state");

        Assert.Empty(await DueAsync(T0));
        Assert.Equal(["b"], await DueAsync(T0.AddSeconds(5)));
        Assert.Equal(["a", "b", "c"], await DueAsync(T0.AddMinutes(1)));

        // Pages follow the grain id from the last one seen.
        Assert.Equal(["a", "b"], await DueAsync(T0.AddMinutes(1), limit: 2));
        Assert.Equal(["c"], await DueAsync(T0.AddMinutes(1), after: Grain("b"), limit: 2));

        // The update that settles "b" (nothing in flight) takes it out; one that moves "a" later moves it.
        await WriteAsync("b", null);
        await WriteAsync("a", T0.AddMinutes(5));
        Assert.Equal(["c"], await DueAsync(T0.AddMinutes(1)));

        // The state reads back as written; the moment is the column's (this state does not serialise it).
        var read = new GrainState<DueCounterState>();
        await storage.ReadStateAsync(StateName, Grain("c"), read);
        Assert.Equal(1, read.State!.Count);
        Assert.Null(read.State.DueAt);

        async Task<string[]> DueAsync(DateTimeOffset now, GrainId? after = null, int limit = 100) =>
            [.. (await storage.DueAsync(StateName, now, after, limit, CancellationToken.None)).Select(g => g.Key.ToString()!)];
    }

    private static GrainId Grain(string key) => GrainId.Create("due-grain", key);
}
