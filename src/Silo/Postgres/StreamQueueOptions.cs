namespace Mdl.Silo.Postgres;

/// <summary>
/// The durable stream queues of postgres mode (<c>Mdl__Streams__…</c>): Orleans's ADO.NET stream provider keeps each
/// message in PostgreSQL until a subscriber has received it (at-least-once; goals deduplicate by observation id).
/// </summary>
public sealed class StreamQueueOptions
{
    /// <summary>
    /// Queues the streams are spread over; each is pulled by one silo at a time, so this bounds how many silos share
    /// the stream load. Default 8 (the provider's own default, 1, puts every stream behind one silo).
    /// </summary>
    public int Queues { get; set; } = 8;

    /// <summary>Deliveries tried before a message becomes a dead letter. Default 5.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How long a taken, unconfirmed message stays hidden before it is delivered again. Default 60 s.</summary>
    public int VisibilityTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// How long a message waits for delivery before it becomes a dead letter. Default 1440 min (one day; the provider's
    /// 10 minutes would drop observations published while the cluster is down for a short upgrade).
    /// </summary>
    public int ExpiryMinutes { get; set; } = 1440;

    /// <summary>How long dead letters are kept for inspection (table <c>orleans_stream_dead_letter</c>). Default 7 days.</summary>
    public int DeadLetterDays { get; set; } = 7;

    /// <summary>Checks the values; one message per problem, saying what to set.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var problem in SettingChecks.AtLeastOne(
            "Streams",
            (nameof(Queues), Queues),
            (nameof(MaxAttempts), MaxAttempts),
            (nameof(VisibilityTimeoutSeconds), VisibilityTimeoutSeconds),
            (nameof(ExpiryMinutes), ExpiryMinutes),
            (nameof(DeadLetterDays), DeadLetterDays)))
        {
            yield return problem;
        }
    }
}
