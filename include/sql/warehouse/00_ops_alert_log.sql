-- On-call alert log: one row per failed task try or monitoring alert (written by fuelopt.alerts).
CREATE TABLE IF NOT EXISTS ops.alert_log (
    alert_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    raised_at    timestamptz NOT NULL DEFAULT now(),
    kind         text        NOT NULL,            -- task_failure | monitoring
    severity     text        NOT NULL,
    dag_id       text        NOT NULL,
    task_id      text,
    run_id       text,
    try_number   integer,
    message      text        NOT NULL,
    log_url      text,
    runbook      text        NOT NULL,
    notified_via text[]      NOT NULL DEFAULT '{}',
    event_keys   text[]      NOT NULL DEFAULT '{}'   -- monitoring events announced (cooldown)
);
CREATE INDEX IF NOT EXISTS alert_log_dag_raised_idx ON ops.alert_log (dag_id, raised_at);
-- Databases created before event_keys existed get it here.
ALTER TABLE ops.alert_log ADD COLUMN IF NOT EXISTS event_keys text[] NOT NULL DEFAULT '{}';
CREATE INDEX IF NOT EXISTS alert_log_event_keys_idx ON ops.alert_log USING gin (event_keys);
