namespace Mdl.Goals;

/// <summary>
/// A goal's wake-up (key = goal id; the goal grain implements it), called by its silo's wake-up scheduler at the moment the
/// goal asked for, when time alone changes what the goal sees (a rolling window or an effect horizon).
/// </summary>
[Alias("mdl.IGoalClockGrain")]
public interface IGoalClockGrain : IGrainWithStringKey
{
    /// <summary>
    /// Re-decides if <paramref name="at"/> is still the wake-up the goal has asked for; a wake-up it has since replaced, or
    /// one asked for by an earlier activation, changes nothing.
    /// </summary>
    [Alias("WakeUp")]
    Task WakeUpAsync(DateTimeOffset at);
}
