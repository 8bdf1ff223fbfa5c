using System.Collections.Concurrent;
using System.Diagnostics;
using Mdl.Client;
using Mdl.Observations;

namespace Mdl.Tests.Cluster;

/// <summary>
/// A steady, bounded load of acknowledged observations across many goals, as a backend would send them: each
/// observation has its own id and is re-sent with that id until the cluster acknowledges it (the goal's dedupe makes
/// the retry safe). It counts acknowledgements per goal and records when each goal stopped and started answering.
/// </summary>
public sealed class AcknowledgedLoad
{
    /// <summary>The observation kind the load sends; the test goals count it.</summary>
    public const string Kind = "load.tick";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly MdlClient _client;
    private readonly string[] _goals;
    private readonly ConcurrentDictionary<string, int> _acknowledged = new();
    private readonly ConcurrentDictionary<string, GoalOutage> _outages = new();
    private readonly ConcurrentBag<double> _ackMilliseconds = [];
    private readonly ConcurrentDictionary<long, int> _acksPerSecond = new();
    private readonly Stopwatch _clock = new();
    private int _failedAttempts;
    private int _abandoned;

    /// <summary>Creates a load over <paramref name="goals"/> through <paramref name="client"/>.</summary>
    public AcknowledgedLoad(MdlClient client, IEnumerable<string> goals)
    {
        _client = client;
        _goals = [.. goals];
    }

    /// <summary>Acknowledged observations per goal.</summary>
    public IReadOnlyDictionary<string, int> Acknowledged => _acknowledged;

    /// <summary>Attempts that failed (and were retried).</summary>
    public int FailedAttempts => _failedAttempts;

    /// <summary>Observations never acknowledged within the per-observation deadline.</summary>
    public int Abandoned => _abandoned;

    /// <summary>Total acknowledged.</summary>
    public int TotalAcknowledged => _acknowledged.Values.Sum();

    /// <summary>Acknowledgement latencies (first attempt to acknowledgement), in ms.</summary>
    public IReadOnlyCollection<double> AckMilliseconds => _ackMilliseconds;

    /// <summary>Time since the load started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// Sends <paramref name="perSecond"/> observations a second, round-robin over the goals, until
    /// <paramref name="duration"/> has passed, with at most <paramref name="maxOutstanding"/> unacknowledged; then waits
    /// for the stragglers (each observation gives up after <paramref name="observationDeadline"/>).
    /// </summary>
    public async Task RunAsync(int perSecond, TimeSpan duration, int maxOutstanding, TimeSpan observationDeadline, CancellationToken ct = default)
    {
        const int TicksPerSecond = 20;
        var perTick = Math.Max(1, perSecond / TicksPerSecond);
        var outstanding = new SemaphoreSlim(maxOutstanding);
        var sends = new List<Task>();
        var sent = 0;
        _clock.Start();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / TicksPerSecond));
        while (_clock.Elapsed < duration && await timer.WaitForNextTickAsync(ct))
        {
            // Catch up to the rate after a stall (bounded by the outstanding limit), so a slow moment does not lower the total.
            var due = (int)(_clock.Elapsed.TotalSeconds * perSecond);
            var batch = Math.Min(due - sent, perTick * 4);
            for (var i = 0; i < batch; i++)
            {
                await outstanding.WaitAsync(ct);
                var goal = _goals[sent % _goals.Length];
                var observation = new Observation
                {
                    Id = $"{goal}-{sent}",
                    Kind = Kind,
                    Source = "cluster-test",
                };
                sent++;
                sends.Add(SendAsync(goal, observation, observationDeadline, outstanding, ct));
            }
        }

        await Task.WhenAll(sends);
    }

    /// <summary>For each goal that missed at least one attempt, when it answered again, counted from <paramref name="since"/> (e.g. the kill).</summary>
    public IReadOnlyDictionary<string, TimeSpan> ServingAgainSince(TimeSpan since) =>
        _outages.Where(o => o.Value.RecoveredAt is not null)
            .ToDictionary(o => o.Key, o => o.Value.RecoveredAt!.Value - since);

    /// <summary>The goals that failed at least once and have not answered since.</summary>
    public IReadOnlyCollection<string> NotRecovered() =>
        [.. _outages.Where(o => o.Value.RecoveredAt is null).Select(o => o.Key)];

    /// <summary>Acknowledgements in each whole second of the run.</summary>
    public IReadOnlyDictionary<long, int> AcksPerSecond => _acksPerSecond;

    private async Task SendAsync(string goal, Observation observation, TimeSpan deadline, SemaphoreSlim outstanding, CancellationToken ct)
    {
        var started = _clock.Elapsed;
        try
        {
            while (_clock.Elapsed - started < deadline)
            {
                ObserveReceipt receipt;
                try
                {
                    receipt = await _client.ObserveAsync(goal, [observation], ct);
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // The silo holding the goal died, a gateway went away, or a call timed out: re-send with the same id.
                    Interlocked.Increment(ref _failedAttempts);
                    _outages.GetOrAdd(goal, _ => new GoalOutage(_clock.Elapsed)).Failed(_clock.Elapsed);
                    await Task.Delay(RetryDelay, ct);
                    continue;
                }

                // Accepted now, or a duplicate of an earlier attempt that was stored but whose answer was lost: either
                // way this observation is acknowledged exactly once here.
                if (receipt.Accepted + receipt.Duplicates != 1)
                {
                    throw new InvalidOperationException($"observation {observation.Id} got receipt {receipt}");
                }

                var now = _clock.Elapsed;
                _acknowledged.AddOrUpdate(goal, 1, (_, n) => n + 1);
                _ackMilliseconds.Add((now - started).TotalMilliseconds);
                _acksPerSecond.AddOrUpdate((long)now.TotalSeconds, 1, (_, n) => n + 1);
                if (_outages.TryGetValue(goal, out var outage))
                {
                    outage.Recovered(now);
                }

                return;
            }

            Interlocked.Increment(ref _abandoned);
        }
        finally
        {
            outstanding.Release();
        }
    }

    /// <summary>When a goal first failed to answer, and when it answered again after its last failure.</summary>
    private sealed class GoalOutage(TimeSpan firstFailureAt)
    {
        private readonly Lock _lock = new();

        public TimeSpan FirstFailureAt { get; } = firstFailureAt;

        public TimeSpan? RecoveredAt { get; private set; }

        private TimeSpan _lastFailureAt = firstFailureAt;

        public void Failed(TimeSpan at)
        {
            lock (_lock)
            {
                _lastFailureAt = at > _lastFailureAt ? at : _lastFailureAt;
                RecoveredAt = null;
            }
        }

        public void Recovered(TimeSpan at)
        {
            lock (_lock)
            {
                if (RecoveredAt is null && at >= _lastFailureAt)
                {
                    RecoveredAt = at;
                }
            }
        }
    }
}
