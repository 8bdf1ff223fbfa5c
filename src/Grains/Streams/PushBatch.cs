using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Mdl.Streams;

/// <summary>
/// One publish (<c>OnNextAsync</c> or <c>OnNextBatchAsync</c>) on a push stream: the events, the stream, the publisher's
/// request context and the position the queue gave it.
/// </summary>
[GenerateSerializer, Alias("mdl.PushBatch")]
internal sealed record PushBatch(
    [property: Id(0)] StreamId StreamId,
    [property: Id(1)] object[] Events,
    [property: Id(2)] Dictionary<string, object>? RequestContext,
    [property: Id(3)] long Sequence) : IBatchContainer
{
    /// <inheritdoc />
    public StreamSequenceToken SequenceToken => new EventSequenceTokenV2(Sequence);

    /// <inheritdoc />
    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Events.OfType<T>().Select((e, i) => Tuple.Create<T, StreamSequenceToken>(e, new EventSequenceTokenV2(Sequence, i)));

    /// <inheritdoc />
    public bool ImportRequestContext()
    {
        if (RequestContext is null)
        {
            return false;
        }

        RequestContextExtensions.Import(RequestContext);
        return true;
    }
}
