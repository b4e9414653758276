-- Telemetry source as a mine exposes it through PostgREST (docs/contracts.md §1).
-- Run as the database owner (the loader role) after 00_roles.sql; idempotent.
-- PostgREST serves the schema `api` (db-schemas = api, db-anon-role = telemetry_anon).
CREATE SCHEMA IF NOT EXISTS api;

CREATE TABLE IF NOT EXISTS api.truck_telemetry (
    truck_id        text,
    ts              timestamptz,
    fuel_rate_lph   double precision,
    engine_load_pct double precision,
    speed_kmh       double precision,
    payload_t       double precision,
    grade_pct       double precision,
    status          text,
    -- when the row reached the source; late rows arrive hours after ts (extractors that read
    -- by ts must look back, see docs/runbooks/extract_telemetry.md)
    ingested_at     timestamptz NOT NULL DEFAULT now()
);
-- No primary key: the sensor gateway can deliver the same reading twice (the warehouse dedupes).
CREATE INDEX IF NOT EXISTS truck_telemetry_ts_truck_idx ON api.truck_telemetry (ts, truck_id);
CREATE INDEX IF NOT EXISTS truck_telemetry_ingested_idx ON api.truck_telemetry (ingested_at);

COMMENT ON TABLE api.truck_telemetry IS
    'One row per truck per minute from the on-board sensors (UTC). Read-only through PostgREST.';

GRANT USAGE ON SCHEMA api TO telemetry_anon;
GRANT SELECT ON api.truck_telemetry TO telemetry_anon;
