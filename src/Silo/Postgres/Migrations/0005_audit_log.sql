-- The goals' tamper-evident audit log (Mdl.Audit.PostgresAuditLog): one row per entry, keyed by (goal id, seq).
-- time and data hold exactly the text that was hashed, so they are text, not timestamptz or jsonb (which would
-- normalise it and break the chain).
CREATE TABLE IF NOT EXISTS mdl_audit_log (
    goal_id   text   NOT NULL,
    seq       bigint NOT NULL,
    time      text   NOT NULL,
    kind      text   NOT NULL,
    data      text   NOT NULL,
    prev_hash text   NOT NULL,
    hash      text   NOT NULL,
    PRIMARY KEY (goal_id, seq)
);

-- Append-only: the product has no statement that changes or removes a row, and these triggers refuse any that
-- someone else issues. They do not stop a superuser who drops them; the hash chain is what shows such an edit.
CREATE OR REPLACE FUNCTION mdl_audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mdl_audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP TRIGGER IF EXISTS mdl_audit_log_no_update_delete ON mdl_audit_log;
CREATE TRIGGER mdl_audit_log_no_update_delete BEFORE UPDATE OR DELETE ON mdl_audit_log
    FOR EACH ROW EXECUTE FUNCTION mdl_audit_log_refuse_change();

DROP TRIGGER IF EXISTS mdl_audit_log_no_truncate ON mdl_audit_log;
CREATE TRIGGER mdl_audit_log_no_truncate BEFORE TRUNCATE ON mdl_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION mdl_audit_log_refuse_change();
