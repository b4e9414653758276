-- PostgreSQL STAND-IN for the SQL Server operations source (local default and tests only).
-- Same schema (dbo), tables, keys and indexes as include/sql/sqlserver/10_operations.sql, in
-- PostgreSQL types (datetime2 -> timestamptz, nvarchar -> text, float -> double precision).
-- Run as the database owner (the loader role); idempotent.
CREATE SCHEMA IF NOT EXISTS dbo;

CREATE TABLE IF NOT EXISTS dbo.equipment (
    equipment_id    text             NOT NULL PRIMARY KEY,
    equipment_type  text             NOT NULL,
    model           text,
    capacity_t      double precision,
    commissioned_on date,
    engine_hours    double precision,
    modified_at     timestamptz      NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dbo.haul_cycles (
    cycle_id           text             NOT NULL PRIMARY KEY,
    truck_id           text,
    shovel_id          text,
    dump_id            text,
    load_start         timestamptz,
    dump_end           timestamptz      NOT NULL,
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
    modified_at        timestamptz      NOT NULL DEFAULT now()
);
-- operator_id came later (issue 18): a stand-in created before it gets the column.
ALTER TABLE dbo.haul_cycles ADD COLUMN IF NOT EXISTS operator_id text;
CREATE INDEX IF NOT EXISTS ix_haul_cycles_dump_end ON dbo.haul_cycles (dump_end);
CREATE INDEX IF NOT EXISTS ix_haul_cycles_modified_at ON dbo.haul_cycles (modified_at);

CREATE TABLE IF NOT EXISTS dbo.fuel_dispatch (
    dispatch_id  text             NOT NULL PRIMARY KEY,
    equipment_id text,
    dispensed_at timestamptz      NOT NULL,
    litres       double precision,
    station_id   text,
    modified_at  timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_fuel_dispatch_dispensed_at ON dbo.fuel_dispatch (dispensed_at);
CREATE INDEX IF NOT EXISTS ix_fuel_dispatch_modified_at ON dbo.fuel_dispatch (modified_at);

CREATE TABLE IF NOT EXISTS dbo.shift_plan (
    shift_date  date             NOT NULL,
    shift       text             NOT NULL,
    shovel_id   text             NOT NULL,
    target_t    double precision,
    modified_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (shift_date, shift, shovel_id)
);
