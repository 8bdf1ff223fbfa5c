using System.Threading.Channels;
using Mdl.Decisions;

namespace Mdl.Client;

/// <summary>The client-side grain observer of a watch: hands each decision the goal reports to the reader of a channel.</summary>
/// <remarks>
/// Orleans does not keep one-way messages in order, so a decision's "recorded" notice can arrive after its outcome.
/// Such a stale notice is dropped rather than shown as if the decision were pending again.
/// </remarks>
internal sealed class DecisionWatcher(ChannelWriter<DecisionRecord> writer) : IDecisionWatcher
{
    private const int Remembered = 1024;

    private readonly HashSet<long> _completed = [];
    private readonly Queue<long> _completedOrder = new();

    /// <inheritdoc />
    public void OnDecision(DecisionRecord decision)
    {
        lock (_completed)
        {
            if (decision.Outcome is null && _completed.Contains(decision.Seq))
            {
                return;
            }

            if (decision.Outcome is not null && _completed.Add(decision.Seq))
            {
                _completedOrder.Enqueue(decision.Seq);
                if (_completedOrder.Count > Remembered)
                {
                    _completed.Remove(_completedOrder.Dequeue());
                }
            }

            writer.TryWrite(decision);
        }
    }
}
