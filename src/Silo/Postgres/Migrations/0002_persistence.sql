-- Grain state for Orleans's ADO.NET grain storage (Microsoft.Orleans.Persistence.AdoNet): providers "goals" and
-- "PubSubStore". A grain is identified by service, grain type and key (two 64-bit halves plus an optional string
-- extension, or the whole string key for string-keyed grains). The provider also passes hashes of the key and type
-- (@GrainIdHash, @GrainTypeHash) for databases that shard on them; a B-tree on the key itself needs none.
-- version is the ETag: every write and clear must name the version it read, or it changes nothing.

CREATE TABLE IF NOT EXISTS orleans_storage
(
    service_id         varchar(150) NOT NULL,
    grain_type         varchar(512) NOT NULL,
    grain_id_n0        bigint       NOT NULL,
    grain_id_n1        bigint       NOT NULL,
    -- '' when the key has no string part: a primary key cannot hold NULL.
    grain_id_extension varchar(512) NOT NULL DEFAULT '',
    payload            bytea,
    version            integer      NOT NULL,
    modified_at        timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
);

INSERT INTO orleansquery (querykey, querytext) VALUES
-- No row: the grain has never been written (the provider then starts from a new state with no ETag).
('ReadFromStorageKey', $q$
SELECT payload AS PayloadBinary, version AS Version
FROM orleans_storage
WHERE service_id = @ServiceId AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension = coalesce(@GrainIdExtensionString, '');
$q$),

-- A first write (@GrainStateVersion NULL) inserts version 1; a later one updates only if the stored version is the one
-- the grain read. Returns the new version, or no row when the ETag was stale (the provider then throws
-- InconsistentStateException).
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleans_storage
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE @GrainStateVersion IS NOT NULL
      AND service_id = @ServiceId AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension = coalesce(@GrainIdExtensionString, '') AND version = @GrainStateVersion
    RETURNING version),
inserted AS (
    INSERT INTO orleans_storage (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension, payload, version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, coalesce(@GrainIdExtensionString, ''), @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version)
SELECT version AS NewGrainStateVersion FROM updated
UNION ALL
SELECT version FROM inserted;
$q$),

-- Clearing keeps the row (payload NULL) and bumps the version, so a stale writer still loses after a clear.
('ClearStorageKey', $q$
UPDATE orleans_storage
SET payload = NULL, version = version + 1, modified_at = now()
WHERE service_id = @ServiceId AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension = coalesce(@GrainIdExtensionString, '') AND version = @GrainStateVersion
RETURNING version;
$q$),

-- Optional (AdoNetGrainStorageOptions.DeleteStateOnClear): removes the row under the same ETag check.
('DeleteStorageKey', $q$
DELETE FROM orleans_storage
WHERE service_id = @ServiceId AND grain_type = @GrainTypeString AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension = coalesce(@GrainIdExtensionString, '') AND version = @GrainStateVersion
RETURNING version;
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
