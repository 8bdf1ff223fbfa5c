namespace Mdl.Silo.Postgres;

/// <summary>
/// How fast a cluster on a shared membership table (postgres mode) notices a silo that died (<c>Mdl__Membership__…</c>).
/// Orleans's defaults are built for large clusters on slow networks and take minutes; these take seconds. A silo that
/// stops answering is suspected after <see cref="NumMissedProbesLimit"/> probes of <see cref="ProbeTimeoutSeconds"/>
/// each and declared dead once <see cref="NumVotesForDeathDeclaration"/> silos agree (fewer in a smaller cluster), so
/// with the defaults a killed silo is dead within about 5–10 seconds.
/// </summary>
public sealed class MembershipTuning
{
    /// <summary>How long a silo waits for a probe's answer. Default 2 s (Orleans: 5 s).</summary>
    public int ProbeTimeoutSeconds { get; set; } = 2;

    /// <summary>Missed probes in a row before a silo votes its peer dead. Default 2 (Orleans: 3).</summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>Votes needed to declare a silo dead; capped by the number of other live silos. Default 2 (as Orleans).</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long a death vote counts. Default 20 s (Orleans: 120 s); must exceed the time to suspect a silo.</summary>
    public int DeathVoteExpirationSeconds { get; set; } = 20;

    /// <summary>How often each silo rereads the membership table, catching changes it missed. Default 5 s (Orleans: 60 s).</summary>
    public int TableRefreshSeconds { get; set; } = 5;

    /// <summary>How often a silo writes its heartbeat (IAmAlive) to the table. Default 10 s (Orleans: 300 s).</summary>
    public int IAmAlivePublishSeconds { get; set; } = 10;

    /// <summary>Checks the values; one message per problem, saying what to set.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var problem in SettingChecks.AtLeastOne(
            "Membership",
            (nameof(ProbeTimeoutSeconds), ProbeTimeoutSeconds),
            (nameof(NumMissedProbesLimit), NumMissedProbesLimit),
            (nameof(NumVotesForDeathDeclaration), NumVotesForDeathDeclaration),
            (nameof(DeathVoteExpirationSeconds), DeathVoteExpirationSeconds),
            (nameof(TableRefreshSeconds), TableRefreshSeconds),
            (nameof(IAmAlivePublishSeconds), IAmAlivePublishSeconds)))
        {
            yield return problem;
        }

        // A vote that expires before the next one can be cast never adds up to a death declaration.
        if (DeathVoteExpirationSeconds <= ProbeTimeoutSeconds * NumMissedProbesLimit)
        {
            yield return $"Mdl__Membership__DeathVoteExpirationSeconds ({DeathVoteExpirationSeconds}) must exceed " +
                $"ProbeTimeoutSeconds × NumMissedProbesLimit ({ProbeTimeoutSeconds * NumMissedProbesLimit}), or votes expire before they add up.";
        }
    }
}
