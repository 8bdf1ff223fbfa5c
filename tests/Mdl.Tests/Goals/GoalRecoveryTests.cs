using System.Collections.Concurrent;
using System.Reflection;
using Mdl.Goals;
using Mdl.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mdl.Tests.Goals;

/// <summary>One look of the silos' recovery, against an index and goals of its own: no cluster.</summary>
public sealed class GoalRecoveryTests
{
    private static readonly DateTimeOffset Now = new(2026, 7, 8, 9, 10, 11, TimeSpan.Zero);

    private readonly FakeGoals _goals = new();

    [Fact]
    public async Task A_look_touches_every_due_goal_once_across_pages_even_goals_that_stay_due()
    {
        // Goals that are alive and still waiting stay due after the touch: the look must move on, not loop on them.
        var index = new FakeIndex(Enumerable.Range(0, 600).Select(i => Goal($"g{i:D4}")));

        var touched = await Recovery(pageSize: 256).SweepAsync(index, CancellationToken.None);

        Assert.Equal(600, touched);
        Assert.Equal(600, _goals.Touches.Count);
        Assert.All(_goals.Touches.Values, count => Assert.Equal(1, count));
        Assert.Equal([Now, Now, Now], index.AskedAt);
    }

    [Fact]
    public async Task A_goal_that_cannot_be_reached_is_skipped_and_the_look_goes_on()
    {
        var index = new FakeIndex(Enumerable.Range(0, 10).Select(i => Goal($"g{i}")));
        _goals.Failing[Goal("g3")] = new TimeoutException("the goal's silo is not declared dead yet");
        _goals.Failing[Goal("g7")] = new OperationCanceledException("a cancelled call that is not this silo stopping");

        var touched = await Recovery(pageSize: 4).SweepAsync(index, CancellationToken.None);

        Assert.Equal(8, touched);
        Assert.Equal(10, _goals.Touches.Count);
    }

    private static GrainId Goal(string id) => GrainId.Create(GoalGrain.GrainTypeName, id);

    private GoalRecovery Recovery(int pageSize) => new(
        new ServiceCollection().BuildServiceProvider(),
        _goals.Factory,
        new FakeTimeProvider(Now),
        Options.Create(new GoalRecoveryOptions { PageSize = pageSize }),
        NullLogger<GoalRecovery>.Instance);

    /// <summary>Due goals in grain id order, as the storages list them.</summary>
    private sealed class FakeIndex(IEnumerable<GrainId> due) : IDueGrainIndex
    {
        private readonly GrainId[] _due = [.. due.OrderBy(g => g.ToString(), StringComparer.Ordinal)];

        public List<DateTimeOffset> AskedAt { get; } = [];

        public Task<IReadOnlyList<GrainId>> DueAsync(string stateName, DateTimeOffset now, GrainId? after, int limit, CancellationToken cancellationToken)
        {
            Assert.Equal(GoalGrain.StateName, stateName);
            AskedAt.Add(now);
            IReadOnlyList<GrainId> page = [.. _due.Where(g => after is not { } last || string.CompareOrdinal(g.ToString(), last.ToString()) > 0).Take(limit)];
            return Task.FromResult(page);
        }
    }

    /// <summary>Goals that count their touches; some fail.</summary>
    private sealed class FakeGoals
    {
        public FakeGoals() => Factory = FactoryProxy.Create(this);

        public ConcurrentDictionary<GrainId, int> Touches { get; } = new();

        public ConcurrentDictionary<GrainId, Exception> Failing { get; } = new();

        public IGrainFactory Factory { get; }

        public IGoalClockGrain Goal(GrainId id) => new FakeGoal(this, id);

        private sealed class FakeGoal(FakeGoals goals, GrainId id) : IGoalClockGrain
        {
            public Task EnsureActiveAsync()
            {
                goals.Touches.AddOrUpdate(id, 1, (_, count) => count + 1);
                return goals.Failing.TryGetValue(id, out var failure) ? Task.FromException(failure) : Task.CompletedTask;
            }

            public Task WakeUpAsync(DateTimeOffset at) => throw new NotSupportedException();
        }
    }

    /// <summary>An <see cref="IGrainFactory"/> that only hands out <see cref="FakeGoals"/>' goals by grain id.</summary>
    public class FactoryProxy : DispatchProxy
    {
        private FakeGoals _goals = null!;

        internal static IGrainFactory Create(object goals)
        {
            var factory = Create<IGrainFactory, FactoryProxy>();
            ((FactoryProxy)(object)factory)._goals = (FakeGoals)goals;
            return factory;
        }

        /// <inheritdoc />
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && args is [GrainId id]
                ? _goals.Goal(id)
                : throw new NotSupportedException(targetMethod?.Name);
    }
}
