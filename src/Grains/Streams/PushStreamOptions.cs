namespace Mdl.Streams;

/// <summary>Settings of the push stream provider (<see cref="PushStreamBuilderExtensions"/>); each default is documented.</summary>
public sealed class PushStreamOptions
{
    /// <summary>
    /// How long a pulling agent's read waits in its queue grain for something to arrive (20 s). A read returns as soon as a
    /// batch is enqueued, so this bounds only the idle cost: one empty read per queue per period. It is capped at half the
    /// silo's grain call timeout, so a read never times out while it waits.
    /// </summary>
    public TimeSpan IdleWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The pulling agents' timer period (5 ms). It only paces the agent when it is not already waiting in a read: between an
    /// empty read and the next, and while the agent looks up the subscribers of a stream it has not seen before.
    /// </summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The queues streams are spread over; each has one pulling agent in the cluster (8).</summary>
    public int Queues { get; set; } = 8;

    /// <summary>What cannot work, one line per setting: a zero wait would turn the waiting reads back into polling.</summary>
    public IEnumerable<string> Problems()
    {
        if (IdleWait <= TimeSpan.Zero)
        {
            yield return $"{nameof(IdleWait)} must be positive (it is {IdleWait})";
        }

        if (RetryPeriod <= TimeSpan.Zero)
        {
            yield return $"{nameof(RetryPeriod)} must be positive (it is {RetryPeriod})";
        }

        if (Queues < 1)
        {
            yield return $"{nameof(Queues)} must be at least 1 (it is {Queues})";
        }
    }
}
