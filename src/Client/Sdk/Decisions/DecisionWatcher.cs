using System.Threading.Channels;
using Mdl.Decisions;

namespace Mdl.Client;

/// <summary>The client-side grain observer of a watch: hands each decision the goal reports to the reader of a channel.</summary>
internal sealed class DecisionWatcher(ChannelWriter<DecisionRecord> writer) : IDecisionWatcher
{
    /// <inheritdoc />
    public void OnDecision(DecisionRecord decision) => writer.TryWrite(decision);
}
