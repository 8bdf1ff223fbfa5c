using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Mdl.Streams;

/// <summary>
/// The queue adapter of the push stream provider: publishes go to <see cref="IPushQueueGrain"/>s, and each queue's pulling
/// agent reads through a <see cref="PushQueueReceiver"/> that waits for them. Everything else — pub-sub, implicit and
/// explicit subscriptions, the cache, per-stream ordered delivery with retries — is Orleans's persistent stream machinery.
/// </summary>
internal sealed class PushQueueAdapterFactory : IQueueAdapterFactory, IQueueAdapter
{
    private readonly IGrainFactory _grains;
    private readonly ConcurrentDictionary<uint, IPushQueueGrain> _queues = new();
    private readonly TimeSpan _idleWait;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly Lazy<SimpleQueueAdapterCache> _cache;
    private readonly NoOpStreamDeliveryFailureHandler _failures = new();

    private PushQueueAdapterFactory(string name, PushStreamOptions options, TimeSpan callTimeout, IGrainFactory grains, ILoggerFactory loggers)
    {
        Name = name;
        _grains = grains;

        // Half the call timeout leaves the read time to answer before its caller would give up on it.
        _idleWait = TimeSpan.FromTicks(Math.Min(options.IdleWait.Ticks, callTimeout.Ticks / 2));
        _mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = options.Queues }, name);

        // Only silos read; a client never builds the cache.
        _cache = new Lazy<SimpleQueueAdapterCache>(() => new SimpleQueueAdapterCache(new SimpleQueueCacheOptions(), name, loggers));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool IsRewindable => false;

    /// <inheritdoc />
    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    /// <summary>Creates the factory for the provider named <paramref name="name"/>; Orleans calls it on every silo and client.</summary>
    public static PushQueueAdapterFactory Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<PushStreamOptions>>().Get(name);
        var problems = options.Problems().ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"The push stream provider '{name}' cannot work: {string.Join("; ", problems)}.");
        }

        var callTimeout = services.GetService<IOptions<SiloMessagingOptions>>()?.Value.ResponseTimeout
            ?? services.GetService<IOptions<ClientMessagingOptions>>()?.Value.ResponseTimeout
            ?? TimeSpan.FromSeconds(30);
        return new PushQueueAdapterFactory(name, options, callTimeout, services.GetRequiredService<IGrainFactory>(), services.GetRequiredService<ILoggerFactory>());
    }

    /// <inheritdoc />
    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(this);

    /// <inheritdoc />
    public IQueueAdapterCache GetQueueAdapterCache() => _cache.Value;

    /// <inheritdoc />
    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    /// <inheritdoc />
    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult<IStreamFailureHandler>(_failures);

    /// <inheritdoc />
    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => new PushQueueReceiver(Queue(queueId), _idleWait);

    /// <inheritdoc />
    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException("push streams are not rewindable: publish without a sequence token", nameof(token));
        }

        // The queue hands out the position; the publish is acknowledged once the batch is in the queue.
        var batch = new PushBatch(streamId, events.Cast<object>().ToArray(), requestContext, Sequence: 0);
        return Queue(_mapper.GetQueueForStream(streamId)).EnqueueAsync(batch);
    }

    // A reference per queue, made once: a stream's every batch goes through here.
    private IPushQueueGrain Queue(QueueId queueId) =>
        _queues.GetOrAdd(queueId.GetNumericId(), static (id, self) => self._grains.GetGrain<IPushQueueGrain>($"{self.Name}/{id}"), this);
}
