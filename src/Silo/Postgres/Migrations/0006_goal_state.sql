-- Goal state for the group-committing grain storage (Mdl.Silo.Postgres.GroupCommitGrainStorage): a row per
-- (state name, grain id), guarded by an ETag that is a fresh random token on every write, so an activation holding
-- an older token (or one from before a clear) can never overwrite a newer state.
CREATE TABLE IF NOT EXISTS mdl_grain_state (
    state_name text        NOT NULL,
    grain_id   text        NOT NULL,
    payload    bytea       NOT NULL,
    etag       text        NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (state_name, grain_id)
);
