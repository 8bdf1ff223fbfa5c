-- Durable stream queues for Orleans's ADO.NET stream provider (Microsoft.Orleans.Streaming.AdoNet, an alpha).
-- A message is a row in orleans_stream_message until the pulling agent confirms delivery. Taking a message makes it
-- invisible for the visibility timeout and counts an attempt; a message not confirmed by then is taken again
-- (at-least-once). Messages that expire or run out of attempts move to orleans_stream_dead_letter, kept for the
-- removal timeout for inspection.
--
-- What the provider needs that its contract does not say (see docs/architecture.md, "PostgreSQL schema"):
--  * it never runs EvictStreamMessagesKey or EvictStreamDeadLettersKey, although it refuses to start without them;
--    it passes the eviction interval and batch size to GetStreamMessagesKey instead, so dequeueing also evicts,
--    at most once per interval and queue (orleans_stream_eviction);
--  * on shutdown it "releases" unconfirmed messages through ConfirmStreamMessagesKey with a negative attempt count
--    (id:-dequeued): those must become visible again at once, not be deleted.

CREATE TABLE IF NOT EXISTS orleans_stream_message
(
    service_id  varchar(150) NOT NULL,
    provider_id varchar(150) NOT NULL,
    queue_id    varchar(150) NOT NULL,
    message_id  bigint GENERATED ALWAYS AS IDENTITY,
    dequeued    integer      NOT NULL DEFAULT 0,
    visible_on  timestamptz  NOT NULL,
    expires_on  timestamptz  NOT NULL,
    created_on  timestamptz  NOT NULL,
    modified_on timestamptz  NOT NULL,
    payload     bytea        NOT NULL,
    PRIMARY KEY (service_id, provider_id, queue_id, message_id)
);

CREATE TABLE IF NOT EXISTS orleans_stream_dead_letter
(
    service_id  varchar(150) NOT NULL,
    provider_id varchar(150) NOT NULL,
    queue_id    varchar(150) NOT NULL,
    message_id  bigint       NOT NULL,
    dequeued    integer      NOT NULL,
    visible_on  timestamptz  NOT NULL,
    expires_on  timestamptz  NOT NULL,
    created_on  timestamptz  NOT NULL,
    modified_on timestamptz  NOT NULL,
    payload     bytea        NOT NULL,
    dead_on     timestamptz  NOT NULL,
    remove_on   timestamptz  NOT NULL,
    PRIMARY KEY (service_id, provider_id, queue_id, message_id)
);

CREATE INDEX IF NOT EXISTS orleans_stream_dead_letter_by_removal
    ON orleans_stream_dead_letter (service_id, provider_id, queue_id, remove_on);

-- When each queue is next due for eviction.
CREATE TABLE IF NOT EXISTS orleans_stream_eviction
(
    service_id  varchar(150) NOT NULL,
    provider_id varchar(150) NOT NULL,
    queue_id    varchar(150) NOT NULL,
    next_run_on timestamptz  NOT NULL,
    PRIMARY KEY (service_id, provider_id, queue_id)
);

-- Moves the given messages of a queue to the dead letters, to be removed after p_removal_timeout seconds. The one
-- place a message is buried, whether it expired, ran out of attempts or failed for good.
CREATE OR REPLACE FUNCTION orleans_stream_bury(
    p_service_id text, p_provider_id text, p_queue_id text, p_message_ids bigint[], p_removal_timeout integer)
RETURNS integer
LANGUAGE sql
AS $f$
WITH moved AS (
    DELETE FROM orleans_stream_message
    WHERE service_id = p_service_id AND provider_id = p_provider_id AND queue_id = p_queue_id
      AND message_id = ANY (p_message_ids)
    RETURNING *),
buried AS (
    INSERT INTO orleans_stream_dead_letter (service_id, provider_id, queue_id, message_id, dequeued, visible_on, expires_on,
                                            created_on, modified_on, payload, dead_on, remove_on)
    SELECT service_id, provider_id, queue_id, message_id, dequeued, visible_on, expires_on, created_on, modified_on, payload,
           now(), now() + make_interval(secs => p_removal_timeout)
    FROM moved
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT count(*)::integer FROM buried;
$f$;

-- Buries up to p_max_count expired or exhausted messages (every attempt used and the last one timed out) of a queue.
-- SKIP LOCKED: a message another transaction is handling is left for the next round.
CREATE OR REPLACE FUNCTION orleans_stream_evict_messages(
    p_service_id text, p_provider_id text, p_queue_id text, p_max_count integer, p_max_attempts integer,
    p_removal_timeout integer)
RETURNS integer
LANGUAGE sql
AS $f$
SELECT orleans_stream_bury(p_service_id, p_provider_id, p_queue_id, ARRAY(
    SELECT message_id
    FROM orleans_stream_message
    WHERE service_id = p_service_id AND provider_id = p_provider_id AND queue_id = p_queue_id
      AND (expires_on <= now() OR (dequeued >= p_max_attempts AND visible_on <= now()))
    ORDER BY message_id
    LIMIT p_max_count
    FOR UPDATE SKIP LOCKED), p_removal_timeout);
$f$;

-- Deletes up to p_max_count dead letters of a queue whose removal time has come.
CREATE OR REPLACE FUNCTION orleans_stream_evict_dead_letters(
    p_service_id text, p_provider_id text, p_queue_id text, p_max_count integer)
RETURNS integer
LANGUAGE sql
AS $f$
WITH due AS (
    SELECT message_id
    FROM orleans_stream_dead_letter
    WHERE service_id = p_service_id AND provider_id = p_provider_id AND queue_id = p_queue_id AND remove_on <= now()
    ORDER BY remove_on
    LIMIT p_max_count
    FOR UPDATE SKIP LOCKED),
removed AS (
    DELETE FROM orleans_stream_dead_letter l
    USING due
    WHERE l.service_id = p_service_id AND l.provider_id = p_provider_id AND l.queue_id = p_queue_id
      AND l.message_id = due.message_id
    RETURNING 1)
SELECT count(*)::integer FROM removed;
$f$;

-- Takes up to p_max_count visible messages of a queue, oldest first, counting an attempt and hiding each for the
-- visibility timeout; first evicts, when the queue is due.
CREATE OR REPLACE FUNCTION orleans_stream_dequeue(
    p_service_id text, p_provider_id text, p_queue_id text, p_max_count integer, p_max_attempts integer,
    p_visibility_timeout integer, p_removal_timeout integer, p_eviction_interval integer, p_eviction_batch_size integer)
RETURNS SETOF orleans_stream_message
LANGUAGE plpgsql
AS $f$
BEGIN
    -- Only the caller that moves the queue's eviction time on does the eviction, so concurrent pullers do not repeat it.
    INSERT INTO orleans_stream_eviction AS e (service_id, provider_id, queue_id, next_run_on)
    VALUES (p_service_id, p_provider_id, p_queue_id, now() + make_interval(secs => p_eviction_interval))
    ON CONFLICT (service_id, provider_id, queue_id) DO UPDATE SET next_run_on = excluded.next_run_on
    WHERE e.next_run_on <= now();
    IF FOUND THEN
        PERFORM orleans_stream_evict_messages(p_service_id, p_provider_id, p_queue_id, p_eviction_batch_size, p_max_attempts,
                                              p_removal_timeout);
        PERFORM orleans_stream_evict_dead_letters(p_service_id, p_provider_id, p_queue_id, p_eviction_batch_size);
    END IF;

    RETURN QUERY
    WITH taken AS (
        SELECT message_id
        FROM orleans_stream_message
        WHERE service_id = p_service_id AND provider_id = p_provider_id AND queue_id = p_queue_id
          AND visible_on <= now() AND expires_on > now() AND dequeued < p_max_attempts
        ORDER BY message_id
        LIMIT p_max_count
        FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE orleans_stream_message m
        SET dequeued = m.dequeued + 1, visible_on = now() + make_interval(secs => p_visibility_timeout), modified_on = now()
        FROM taken t
        WHERE m.service_id = p_service_id AND m.provider_id = p_provider_id AND m.queue_id = p_queue_id
          AND m.message_id = t.message_id
        RETURNING m.*)
    SELECT * FROM claimed;
END;
$f$;

-- A delivery that failed for good: with attempts left the message becomes visible again now, otherwise it is buried.
CREATE OR REPLACE FUNCTION orleans_stream_fail_message(
    p_service_id text, p_provider_id text, p_queue_id text, p_message_id bigint, p_max_attempts integer,
    p_removal_timeout integer)
RETURNS integer
LANGUAGE plpgsql
AS $f$
BEGIN
    UPDATE orleans_stream_message
    SET visible_on = now(), modified_on = now()
    WHERE service_id = p_service_id AND provider_id = p_provider_id AND queue_id = p_queue_id AND message_id = p_message_id
      AND dequeued < p_max_attempts;
    IF FOUND THEN
        RETURN 1;
    END IF;
    RETURN orleans_stream_bury(p_service_id, p_provider_id, p_queue_id, ARRAY[p_message_id], p_removal_timeout);
END;
$f$;

INSERT INTO orleansquery (querykey, querytext) VALUES
('QueueStreamMessageKey', $q$
INSERT INTO orleans_stream_message (service_id, provider_id, queue_id, dequeued, visible_on, expires_on, created_on,
                                    modified_on, payload)
VALUES (@ServiceId, @ProviderId, @QueueId, 0, now(), now() + make_interval(secs => @ExpiryTimeout), now(), now(), @Payload)
RETURNING service_id AS ServiceId, provider_id AS ProviderId, queue_id AS QueueId, message_id AS MessageId;
$q$),

('GetStreamMessagesKey', $q$
SELECT service_id AS ServiceId, provider_id AS ProviderId, queue_id AS QueueId, message_id AS MessageId, dequeued AS Dequeued,
       visible_on AS VisibleOn, expires_on AS ExpiresOn, created_on AS CreatedOn, modified_on AS ModifiedOn, payload AS Payload
FROM orleans_stream_dequeue(@ServiceId, @ProviderId, @QueueId, @MaxCount, @MaxAttempts, @VisibilityTimeout, @RemovalTimeout,
                            @EvictionInterval, @EvictionBatchSize);
$q$),

-- @Items is "id:dequeued|id:dequeued|…". A positive count confirms delivery: the message is deleted if it was not taken
-- again since (same attempt count). A negative count releases a message taken but not delivered (silo shutting down):
-- it becomes visible at once and the attempt is given back. Returns the messages confirmed or released.
('ConfirmStreamMessagesKey', $q$
WITH items AS (
    SELECT split_part(item, ':', 1)::bigint AS message_id, split_part(item, ':', 2)::integer AS dequeued
    FROM unnest(string_to_array(@Items, '|')) AS item),
confirmed AS (
    DELETE FROM orleans_stream_message m
    USING items i
    WHERE m.service_id = @ServiceId AND m.provider_id = @ProviderId AND m.queue_id = @QueueId
      AND i.dequeued > 0 AND m.message_id = i.message_id AND m.dequeued = i.dequeued
    RETURNING m.service_id, m.provider_id, m.queue_id, m.message_id),
released AS (
    UPDATE orleans_stream_message m
    SET visible_on = now(), dequeued = greatest(m.dequeued - 1, 0), modified_on = now()
    FROM items i
    WHERE m.service_id = @ServiceId AND m.provider_id = @ProviderId AND m.queue_id = @QueueId
      AND i.dequeued < 0 AND m.message_id = i.message_id AND m.dequeued = -i.dequeued
    RETURNING m.service_id, m.provider_id, m.queue_id, m.message_id)
SELECT service_id AS ServiceId, provider_id AS ProviderId, queue_id AS QueueId, message_id AS MessageId FROM confirmed
UNION ALL
SELECT service_id, provider_id, queue_id, message_id FROM released;
$q$),

('FailStreamMessageKey', $q$
SELECT orleans_stream_fail_message(@ServiceId, @ProviderId, @QueueId, @MessageId, @MaxAttempts, @RemovalTimeout);
$q$),

('EvictStreamMessagesKey', $q$
SELECT orleans_stream_evict_messages(@ServiceId, @ProviderId, @QueueId, @MaxCount, @MaxAttempts, @RemovalTimeout);
$q$),

('EvictStreamDeadLettersKey', $q$
SELECT orleans_stream_evict_dead_letters(@ServiceId, @ProviderId, @QueueId, @MaxCount);
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
