using Mdl.Streams;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Mdl.Tests.Streams;

/// <summary>Records, in arrival order, what reaches a grain through the <c>mdl</c> stream provider.</summary>
[Alias("mdl.tests.IStreamProbeGrain")]
public interface IStreamProbeGrain : IGrainWithStringKey
{
    /// <summary>Subscribes explicitly (through the pub-sub store) to stream <see cref="StreamProbeGrain.TopicNamespace"/>/<paramref name="key"/>.</summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(string key);

    /// <summary>Everything received so far, as "implicit:value" or "key:value" (explicit), in arrival order.</summary>
    [Alias("Received")]
    Task<string[]> ReceivedAsync();
}

/// <summary>
/// Implicitly subscribed to namespace <see cref="ImplicitNamespace"/> (key = its own key), like a goal to its own stream,
/// and explicitly to whatever <see cref="SubscribeAsync"/> names, like a goal to a topic.
/// </summary>
[ImplicitStreamSubscription(ImplicitNamespace)]
public sealed class StreamProbeGrain : Grain, IStreamProbeGrain, IStreamSubscriptionObserver
{
    /// <summary>The namespace the probe is implicitly subscribed to.</summary>
    public const string ImplicitNamespace = "probe";

    /// <summary>The namespace of streams the probe subscribes to explicitly.</summary>
    public const string TopicNamespace = "probe-topic";

    private readonly List<string> _received = [];

    /// <inheritdoc />
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<int>().ResumeAsync((value, _) => Record("implicit", value));

    /// <inheritdoc />
    public async Task SubscribeAsync(string key) =>
        await this.GetStreamProvider(StreamNames.Provider)
            .GetStream<int>(StreamId.Create(TopicNamespace, key))
            .SubscribeAsync((value, _) => Record(key, value));

    /// <inheritdoc />
    public Task<string[]> ReceivedAsync() => Task.FromResult(_received.ToArray());

    private Task Record(string from, int value)
    {
        _received.Add($"{from}:{value}");
        return Task.CompletedTask;
    }
}
