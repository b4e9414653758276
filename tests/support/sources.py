"""Test doubles for the two source systems, and fixtures that start them.

- PostgREST: the dev-only stand-in ``fuelopt.sources.postgrest_standin`` on a free port in a
  thread, serving a fresh PostgreSQL database with ``api.truck_telemetry``.
- SQL Server: a fresh PostgreSQL database with the ``dbo`` operations tables (the local stand-in;
  the ``sqlserver`` marked tests use a real SQL Server when ``FUELOPT_MSSQL_URL`` is set).

Load them in a test module with ``pytest_plugins = ["tests.support.sources"]``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from fuelopt.sources.tables import OPERATIONS_COLUMNS, TELEMETRY_COLUMNS

TOKEN = "test-token"
STATUSES = ("hauling", "loading", "dumping", "queuing", "idle", "down")

TELEMETRY_DDL = """
CREATE SCHEMA IF NOT EXISTS api;
CREATE TABLE IF NOT EXISTS api.truck_telemetry (
    truck_id text, ts timestamptz, fuel_rate_lph double precision,
    engine_load_pct double precision, speed_kmh double precision, payload_t double precision,
    grade_pct double precision, status text, ingested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS truck_telemetry_ts_truck_idx ON api.truck_telemetry (ts, truck_id);
"""

OPERATIONS_DDL = """
CREATE SCHEMA IF NOT EXISTS dbo;
CREATE TABLE IF NOT EXISTS dbo.equipment (equipment_id text, equipment_type text, model text,
    capacity_t double precision, commissioned_on date, engine_hours double precision);
CREATE TABLE IF NOT EXISTS dbo.haul_cycles (cycle_id text, truck_id text, shovel_id text,
    dump_id text, load_start timestamptz, dump_end timestamptz, payload_t double precision,
    loaded_distance_km double precision, empty_distance_km double precision,
    rise_m double precision, fall_m double precision, queue_min double precision,
    avg_speed_kmh double precision, road_condition text, fuel_l double precision,
    operator_id text, modified_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS dbo.fuel_dispatch (dispatch_id text, equipment_id text,
    dispensed_at timestamptz, litres double precision, station_id text,
    modified_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS dbo.shift_plan (shift_date date, shift text, shovel_id text,
    target_t double precision);
"""

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def telemetry_rows(
    start: datetime = T0, minutes: int = 180, trucks: int = 4, seed: int = 7
) -> list[tuple]:
    """One row per truck per minute (contract columns, in order), deterministic."""
    rng = random.Random(seed)
    rows = []
    for m in range(minutes):
        ts = start + timedelta(minutes=m)
        for t in range(1, trucks + 1):
            rows.append(
                (
                    f"T{t:02d}",
                    ts,
                    round(rng.uniform(20, 300), 3),
                    round(rng.uniform(10, 100), 2),
                    round(rng.uniform(0, 45), 2),
                    round(rng.choice((0.0, rng.uniform(150, 230))), 1),
                    round(rng.uniform(-10, 10), 2),
                    rng.choice(STATUSES),
                )
            )
    return rows


def insert_telemetry(uri: str, rows: Sequence[tuple], ingested_at: datetime | None = None) -> None:
    with psycopg.connect(uri) as conn, conn.cursor() as cur:
        cols = ", ".join(TELEMETRY_COLUMNS)
        with cur.copy(f"COPY api.truck_telemetry ({cols}, ingested_at) FROM STDIN") as copy:
            stamp = ingested_at or datetime.now(UTC)
            for row in rows:
                copy.write_row((*row, stamp))


def operations_rows(start: datetime = T0, days: int = 3, seed: int = 7) -> dict[str, list[tuple]]:
    """Small deterministic operations tables (contract columns, in order)."""
    rng = random.Random(seed)
    equipment = [
        (f"T{t:02d}", "truck", "CAT 793F", 227.0, datetime(2019, 1, t).date(), 20000.0 + t)
        for t in range(1, 5)
    ] + [("S1", "shovel", "Komatsu PC5500", 0.0, datetime(2018, 6, 1).date(), 30000.0)]
    cycles, dispatch, plan = [], [], []
    for hour in range(days * 24):
        base = start + timedelta(hours=hour)
        for t in range(1, 5):
            load = base + timedelta(minutes=rng.randint(0, 20))
            cycles.append(
                (
                    f"C{hour:04d}{t}",
                    f"T{t:02d}",
                    "S1",
                    "D1",
                    load,
                    load + timedelta(minutes=30),
                    round(rng.uniform(180, 230), 1),
                    3.2,
                    3.1,
                    80.0,
                    5.0,
                    round(rng.uniform(0, 6), 2),
                    24.0,
                    rng.choice(("good", "fair", "poor")),
                    round(rng.uniform(90, 160), 2),
                    f"OP-T{t:02d}-{hour // 12 % 3 + 1}",
                )
            )
        if hour % 12 == 0:
            for t in range(1, 5):
                at = base + timedelta(minutes=5 * t)
                dispatch.append((f"F{hour:04d}{t}", f"T{t:02d}", at, 1500.0 + t, "ST1"))
    for d in range(days):
        for shift in ("day", "night"):
            plan.append(((start + timedelta(days=d)).date(), shift, "S1", 30000.0))
    return {
        "equipment": equipment,
        "haul_cycles": cycles,
        "fuel_dispatch": dispatch,
        "shift_plan": plan,
    }


# The event time of the incremental tables: rows are recorded (modified_at) when they happen.
EVENT_COLUMNS = {"haul_cycles": "dump_end", "fuel_dispatch": "dispensed_at"}


def insert_operations(uri: str, tables: dict[str, list[tuple]], omit: Sequence[str] = ()) -> None:
    """Insert contract rows; ``modified_at`` of the incremental tables is the event time.
    ``omit``: contract columns the source table lacks (an older schema), left out of the rows."""
    with psycopg.connect(uri) as conn, conn.cursor() as cur:
        for table, rows in tables.items():
            keep = [i for i, c in enumerate(OPERATIONS_COLUMNS[table]) if c not in omit]
            columns = [OPERATIONS_COLUMNS[table][i] for i in keep]
            event = columns.index(EVENT_COLUMNS[table]) if table in EVENT_COLUMNS else None
            cols = ", ".join((*columns, *(["modified_at"] if event is not None else [])))
            with cur.copy(f"COPY dbo.{table} ({cols}) FROM STDIN") as copy:
                for full in rows:
                    row = tuple(full[i] for i in keep)
                    copy.write_row((*row, row[event]) if event is not None else row)


@dataclass
class Standin:
    """A running PostgREST stand-in and the database behind it."""

    server: object
    base_url: str
    db_uri: str
    token: str


@pytest.fixture
def telemetry_source(make_database) -> str:
    """A fresh telemetry database with an empty ``api.truck_telemetry``."""
    uri = make_database("fuelopt_tele")
    with psycopg.connect(uri) as conn:
        conn.execute(TELEMETRY_DDL)
    return uri


@pytest.fixture
def standin(telemetry_source, monkeypatch) -> Iterator[Standin]:
    """The PostgREST stand-in on a free port with a bearer token, set as the Airflow
    connection the code uses (token in the connection's password)."""
    from fuelopt.config import get_settings
    from fuelopt.sources.postgrest_standin import start

    settings = get_settings()
    cfg = settings.sources.standin
    server, thread = start(
        telemetry_source, db_schema=cfg.db_schema, bind_address=cfg.bind_address, token=TOKEN
    )
    host, port = server.server_address[:2]
    conn_id = settings.connections.telemetry_api
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", f"http://:{TOKEN}@{host}:{port}")
    try:
        yield Standin(server, server.base_url, telemetry_source, TOKEN)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def operations_source(make_database, monkeypatch) -> str:
    """A fresh PostgreSQL stand-in for SQL Server (``dbo`` tables), set as the connection."""
    from fuelopt.config import get_settings

    uri = make_database("fuelopt_ops")
    with psycopg.connect(uri) as conn:
        conn.execute(OPERATIONS_DDL)
    conn_id = get_settings().connections.operations
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", uri)
    return uri


def frame_rows(frame) -> list[tuple]:
    """Rows of a pandas frame as tuples, NaN/NaT as None (what the source database stores)."""
    import pandas as pd

    clean = frame.astype(object).where(pd.notna(frame), None)
    return list(clean.itertuples(index=False, name=None))


def insert_synth_telemetry(uri: str, frames) -> int:
    """Copy ``fuelopt.synth.iter_telemetry(..., with_ingested_at=True)`` frames into the source."""
    rows = 0
    with psycopg.connect(uri) as conn, conn.cursor() as cur:
        cols = ", ".join((*TELEMETRY_COLUMNS, "ingested_at"))
        with cur.copy(f"COPY api.truck_telemetry ({cols}) FROM STDIN") as copy:
            for frame in frames:
                for row in frame_rows(frame[[*TELEMETRY_COLUMNS, "ingested_at"]]):
                    copy.write_row(row)
                rows += len(frame)
    return rows
