namespace Mdl.Decisions;

/// <summary>A client-side observer told of each decision as it is made and again when its outcome arrives.</summary>
[Alias("mdl.IDecisionWatcher")]
public interface IDecisionWatcher : IGrainObserver
{
    /// <summary>A decision was recorded or its outcome arrived.</summary>
    [Alias("OnDecision")]
    void OnDecision(DecisionRecord decision);
}
