-- When a grain must be active again whether or not anything calls it (Mdl.Storage.IDueState): a goal with calls in
-- flight stores the moment they are overdue, with the same write as its state. The silos' in-flight recovery lists the
-- rows past it (Mdl.Storage.IDueGrainIndex) and activates those goals, which re-issue their calls. Most rows hold null,
-- so the index covers only the rows that have a moment.
ALTER TABLE mdl_grain_state ADD COLUMN IF NOT EXISTS due_at timestamptz;

CREATE INDEX IF NOT EXISTS mdl_grain_state_due ON mdl_grain_state (state_name, due_at) WHERE due_at IS NOT NULL;
