using System.Diagnostics;
using Mdl.Telemetry;

namespace Mdl.Bench.Functions;

/// <summary>
/// Tells <see cref="BenchSignals"/> when a goal has applied an action's outcome: the product's own <c>mdl.act</c> span
/// ends once the outcome is recorded in the goal and fed back (and, if it starts a new action, that decision written).
/// The outcome itself is written with the goal's next write or within its write-behind bound; a loop that waited for
/// that write would measure the bound, not the loop. Only <c>mdl.act</c> spans are created; the others stay off.
/// </summary>
internal sealed class OutcomeListener : IDisposable
{
    private const string ActSpan = "mdl.act";
    private readonly ActivityListener _listener;

    /// <summary>Starts listening.</summary>
    public OutcomeListener()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MdlTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Name == ActSpan ? ActivitySamplingResult.AllData : ActivitySamplingResult.None,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private static void OnStopped(Activity activity)
    {
        if (activity.OperationName == ActSpan
            && activity.GetTagItem(MdlTelemetry.Tags.GoalId) is string goalId
            && activity.GetTagItem(MdlTelemetry.Tags.DecisionSeq) is long seq)
        {
            BenchSignals.OnOutcomeApplied(goalId, seq);
        }
    }
}
