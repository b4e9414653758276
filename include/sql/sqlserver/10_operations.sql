-- Operations source (fleet management / ERP) on SQL Server: docs/contracts.md §1, in dbo.
-- T-SQL for a real SQL Server (compose and production); idempotent. The local default uses a
-- PostgreSQL stand-in with the same tables: include/sql/sqlserver_local/10_operations.sql.
-- Timestamps are UTC in datetime2 (SQL Server has no time zone in datetime2).
-- modified_at: when the row was written or last changed in the source. Corrections and
-- re-entered records arrive after their event time, so incremental extraction reads
-- modified_at (with dump_end / dispensed_at as the business time).

IF OBJECT_ID(N'dbo.equipment', N'U') IS NULL
CREATE TABLE dbo.equipment (
    equipment_id    nvarchar(32)  NOT NULL CONSTRAINT pk_equipment PRIMARY KEY,
    equipment_type  nvarchar(16)  NOT NULL,
    model           nvarchar(64)  NULL,
    capacity_t      float         NULL,
    commissioned_on date          NULL,
    engine_hours    float         NULL,
    modified_at     datetime2(3)  NOT NULL CONSTRAINT df_equipment_modified_at DEFAULT SYSUTCDATETIME()
);

IF OBJECT_ID(N'dbo.haul_cycles', N'U') IS NULL
CREATE TABLE dbo.haul_cycles (
    cycle_id           nvarchar(64)  NOT NULL CONSTRAINT pk_haul_cycles PRIMARY KEY,
    truck_id           nvarchar(32)  NULL,
    shovel_id          nvarchar(32)  NULL,
    dump_id            nvarchar(32)  NULL,
    load_start         datetime2(0)  NULL,
    dump_end           datetime2(0)  NOT NULL,
    payload_t          float         NULL,
    loaded_distance_km float         NULL,
    empty_distance_km  float         NULL,
    rise_m             float         NULL,
    fall_m             float         NULL,
    queue_min          float         NULL,
    avg_speed_kmh      float         NULL,
    road_condition     nvarchar(8)   NULL,
    fuel_l             float         NULL,
    operator_id        nvarchar(32)  NULL,
    modified_at        datetime2(3)  NOT NULL CONSTRAINT df_haul_cycles_modified_at DEFAULT SYSUTCDATETIME()
);

-- operator_id came later (issue 18); the extract reads NULL from a table without it.
IF COL_LENGTH(N'dbo.haul_cycles', N'operator_id') IS NULL
ALTER TABLE dbo.haul_cycles ADD operator_id nvarchar(32) NULL;

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'ix_haul_cycles_dump_end'
               AND object_id = OBJECT_ID(N'dbo.haul_cycles'))
CREATE INDEX ix_haul_cycles_dump_end ON dbo.haul_cycles (dump_end);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'ix_haul_cycles_modified_at'
               AND object_id = OBJECT_ID(N'dbo.haul_cycles'))
CREATE INDEX ix_haul_cycles_modified_at ON dbo.haul_cycles (modified_at);

IF OBJECT_ID(N'dbo.fuel_dispatch', N'U') IS NULL
CREATE TABLE dbo.fuel_dispatch (
    dispatch_id  nvarchar(64)  NOT NULL CONSTRAINT pk_fuel_dispatch PRIMARY KEY,
    equipment_id nvarchar(32)  NULL,
    dispensed_at datetime2(0)  NOT NULL,
    litres       float         NULL,
    station_id   nvarchar(16)  NULL,
    modified_at  datetime2(3)  NOT NULL CONSTRAINT df_fuel_dispatch_modified_at DEFAULT SYSUTCDATETIME()
);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'ix_fuel_dispatch_dispensed_at'
               AND object_id = OBJECT_ID(N'dbo.fuel_dispatch'))
CREATE INDEX ix_fuel_dispatch_dispensed_at ON dbo.fuel_dispatch (dispensed_at);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'ix_fuel_dispatch_modified_at'
               AND object_id = OBJECT_ID(N'dbo.fuel_dispatch'))
CREATE INDEX ix_fuel_dispatch_modified_at ON dbo.fuel_dispatch (modified_at);

IF OBJECT_ID(N'dbo.shift_plan', N'U') IS NULL
CREATE TABLE dbo.shift_plan (
    shift_date  date          NOT NULL,
    shift       nvarchar(8)   NOT NULL,
    shovel_id   nvarchar(32)  NOT NULL,
    target_t    float         NULL,
    modified_at datetime2(3)  NOT NULL CONSTRAINT df_shift_plan_modified_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_shift_plan PRIMARY KEY (shift_date, shift, shovel_id)
);
