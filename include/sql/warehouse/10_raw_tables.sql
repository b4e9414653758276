-- Raw layer: exactly what the sources said (docs/contracts.md §1), nullable and unconstrained so
-- that nothing is lost at load, plus load metadata. Loaded by fuelopt.warehouse (delete-then-insert
-- per data interval, in one transaction). Cleansing happens in dbt (models/staging).
CREATE TABLE IF NOT EXISTS raw.truck_telemetry (
    truck_id        text,
    ts              timestamptz,
    fuel_rate_lph   double precision,
    engine_load_pct double precision,
    speed_kmh       double precision,
    payload_t       double precision,
    grade_pct       double precision,
    status          text,
    _loaded_at      timestamptz NOT NULL,
    _batch_id       text        NOT NULL,
    _source         text        NOT NULL
);
CREATE INDEX IF NOT EXISTS truck_telemetry_ts_idx ON raw.truck_telemetry (ts);
CREATE INDEX IF NOT EXISTS truck_telemetry_loaded_idx ON raw.truck_telemetry (_loaded_at);
CREATE INDEX IF NOT EXISTS truck_telemetry_batch_idx ON raw.truck_telemetry (_batch_id);  -- raw gate

CREATE TABLE IF NOT EXISTS raw.haul_cycles (
    cycle_id           text,
    truck_id           text,
    shovel_id          text,
    dump_id            text,
    load_start         timestamptz,
    dump_end           timestamptz,
    payload_t          double precision,
    loaded_distance_km double precision,
    empty_distance_km  double precision,
    rise_m             double precision,
    fall_m             double precision,
    queue_min          double precision,
    avg_speed_kmh      double precision,
    road_condition     text,
    fuel_l             double precision,
    operator_id        text,
    _loaded_at         timestamptz NOT NULL,
    _batch_id          text        NOT NULL,
    _source            text        NOT NULL
);
-- operator_id came later (issue 18): warehouses bootstrapped before it get the column.
ALTER TABLE raw.haul_cycles ADD COLUMN IF NOT EXISTS operator_id text;
CREATE INDEX IF NOT EXISTS haul_cycles_dump_end_idx ON raw.haul_cycles (dump_end);
CREATE INDEX IF NOT EXISTS haul_cycles_loaded_idx ON raw.haul_cycles (_loaded_at);
CREATE INDEX IF NOT EXISTS haul_cycles_batch_idx ON raw.haul_cycles (_batch_id);  -- raw gate

CREATE TABLE IF NOT EXISTS raw.equipment (
    equipment_id    text,
    equipment_type  text,
    model           text,
    capacity_t      double precision,
    commissioned_on date,
    engine_hours    double precision,
    _loaded_at      timestamptz NOT NULL,
    _batch_id       text        NOT NULL,
    _source         text        NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.fuel_dispatch (
    dispatch_id  text,
    equipment_id text,
    dispensed_at timestamptz,
    litres       double precision,
    station_id   text,
    _loaded_at   timestamptz NOT NULL,
    _batch_id    text        NOT NULL,
    _source      text        NOT NULL
);
CREATE INDEX IF NOT EXISTS fuel_dispatch_dispensed_idx ON raw.fuel_dispatch (dispensed_at);

CREATE TABLE IF NOT EXISTS raw.shift_plan (
    shift_date date,
    shift      text,
    shovel_id  text,
    target_t   double precision,
    _loaded_at timestamptz NOT NULL,
    _batch_id  text        NOT NULL,
    _source    text        NOT NULL
);
