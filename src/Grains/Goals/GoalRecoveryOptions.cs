namespace Mdl.Goals;

/// <summary>
/// How the silos find goals that should be active and are not: calls cut off by a crash, wake-ups due while the goal was
/// not active (<c>Mdl__Recovery__…</c>; see <see cref="GoalRecovery"/>).
/// </summary>
public sealed class GoalRecoveryOptions
{
    /// <summary>
    /// How long past its own timeout a call may stay in flight, or past its moment a wake-up may stay untaken, before the
    /// goal counts as due for recovery. Default 30 s. A goal that is alive is only touched, which changes nothing; a goal
    /// whose silo died is activated, re-issues its calls and re-decides.
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each silo looks for goals due for recovery. Default 30 s.</summary>
    public TimeSpan SweepPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many due goals one look reads from storage at a time. Default 256.</summary>
    public int PageSize { get; set; } = 256;

    /// <summary>One message per setting out of range.</summary>
    public IEnumerable<string> Problems()
    {
        if (Grace < TimeSpan.Zero || Grace > TimeSpan.FromDays(1))
        {
            yield return $"Mdl__Recovery__Grace must be from 00:00:00 to 1.00:00:00, not {Grace}.";
        }

        if (SweepPeriod < TimeSpan.FromMilliseconds(100) || SweepPeriod > TimeSpan.FromHours(1))
        {
            yield return $"Mdl__Recovery__SweepPeriod must be from 00:00:00.1 to 01:00:00, not {SweepPeriod}.";
        }

        if (PageSize is < 1 or > 10_000)
        {
            yield return $"Mdl__Recovery__PageSize must be from 1 to 10000, not {PageSize}.";
        }
    }
}
