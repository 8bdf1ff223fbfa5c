namespace Mdl.Observations;

/// <summary>Observation kinds the engine itself produces.</summary>
public static class ObservationKinds
{
    /// <summary>The outcome of one of the goal's own actions, fed back into the goal that acted.</summary>
    public const string ActionResult = "action.result";
}
