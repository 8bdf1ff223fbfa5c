namespace Mdl.Goals;

/// <summary>
/// A goal's wake-up (key = goal id; the goal grain implements it), called by its silo's wake-up scheduler at the moment the
/// goal asked for, when time alone changes what the goal sees (a rolling window or an effect horizon), and by the silos'
/// recovery for a goal that is due and may not be active.
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

    /// <summary>
    /// Does nothing but make sure the goal is active. An activation re-issues the calls that were in flight when the goal
    /// last stopped, and re-decides if a wake-up was due meanwhile, so the silos call this for goals that are due: a goal
    /// whose silo died while it waited would otherwise wait for its next observation.
    /// </summary>
    [Alias("EnsureActive")]
    Task EnsureActiveAsync();
}
