"""The two local source systems: create them (`init-sources`) and load a synthetic mine (COPY).

- telemetry: the database behind PostgREST (``FUELOPT_TELEMETRY_DB_URL``), schema ``api``,
  DDL in include/sql/postgrest/.
- operations: a PostgreSQL STAND-IN for the SQL Server source (the Airflow connection
  ``connections.operations``), schema ``dbo``, DDL in include/sql/sqlserver_local/ (the real
  T-SQL is include/sql/sqlserver/).

Loads are idempotent: one transaction per database deletes the spec's time window (and its
equipment ids) and copies the new rows, so re-loading a spec replaces its rows.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from fuelopt.config import PROJECT_ROOT, get_settings
from fuelopt.synth.generate import COLUMNS, OPERATION_TABLES
from fuelopt.synth.spec import MineSpec
from fuelopt.warehouse.bootstrap import ensure_database, ensure_role
from fuelopt.warehouse.db import admin_uri, conn_uri, database_name, with_database

log = logging.getLogger(__name__)
SQL_DIR = PROJECT_ROOT / "include" / "sql"
TELEMETRY_DDL = SQL_DIR / "postgrest"
OPERATIONS_DDL = SQL_DIR / "sqlserver_local"


def telemetry_db_uri() -> str:
    """URI of the telemetry database behind PostgREST (env var named in `synth.sources`)."""
    name = get_settings().synth.sources.telemetry_url_env
    uri = os.environ.get(name)
    if not uri:
        raise ValueError(f"{name} is not set (source include/scripts/env.sh)")
    return uri


def operations_db_uri() -> str:
    """URI of the operations source (local stand-in) from its Airflow connection."""
    return conn_uri(get_settings().connections.operations)


def _run_ddl(uri: str, directory: Path, *, admin_files: Iterable[str] = ()) -> None:
    """Apply ``directory``'s scripts in name order: ``admin_files`` as the admin, others as
    the loader role (so the loader owns what they create)."""
    loader = get_settings().warehouse.roles.loader
    admin = with_database(admin_uri(), database_name(uri))
    with psycopg.connect(admin) as conn:
        for path in sorted(directory.glob("*.sql")):
            if path.name in admin_files:
                conn.execute(path.read_text())
                continue
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(loader)))
            conn.execute(path.read_text())
            conn.execute("RESET ROLE")


def init_sources(telemetry_uri: str | None = None, operations_uri: str | None = None) -> None:
    """Create (or bring up to date) both local source databases; idempotent."""
    telemetry_uri = telemetry_uri or telemetry_db_uri()
    operations_uri = operations_uri or operations_db_uri()
    loader = get_settings().warehouse.roles.loader
    with psycopg.connect(admin_uri(), autocommit=True) as conn:
        ensure_role(conn, loader)
    for uri in (telemetry_uri, operations_uri):
        ensure_database(admin_uri(), database_name(uri), loader)
    _run_ddl(telemetry_uri, TELEMETRY_DDL, admin_files={"00_roles.sql"})
    _run_ddl(operations_uri, OPERATIONS_DDL)
    log.info(
        "sources ready: telemetry %s, operations %s",
        database_name(telemetry_uri),
        database_name(operations_uri),
    )


@dataclass(frozen=True)
class Window:
    """The UTC time span and dates a spec covers (what a re-load replaces)."""

    lo: pd.Timestamp
    hi: pd.Timestamp
    first_date: object
    last_date: object


def spec_window(spec: MineSpec) -> Window:
    hour = get_settings().synth.operations.shift_start_hour
    lo = pd.Timestamp(spec.start).tz_localize("UTC") + pd.Timedelta(hours=hour)
    return Window(
        lo, lo + pd.Timedelta(days=spec.days), spec.start, spec.start + timedelta(spec.days - 1)
    )


def _csv_bytes(frame: pd.DataFrame) -> memoryview:
    """``frame`` as headerless CSV for COPY (pyarrow's writer: about twice pandas' speed)."""
    buffer = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buffer, options)
    return buffer.getbuffer()


def _copy_statement(table: sql.Composable, columns: list[str]) -> sql.Composed:
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(table, names)


def _copy_frame(cur: psycopg.Cursor, table: sql.Composable, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    with cur.copy(_copy_statement(table, list(frame.columns))) as copy:
        copy.write(_csv_bytes(frame))


def modified_at(name: str, frame: pd.DataFrame, spec_start: pd.Timestamp) -> pd.Series:
    """When the source recorded each row: shortly after the event; re-entered duplicates and
    corrected rows hours later; plans the day before; equipment at the start."""
    cfg = get_settings().synth
    if name == "equipment":
        return pd.Series(spec_start, index=frame.index)
    if name == "shift_plan":
        lead = pd.Timedelta(hours=cfg.operations.plan_lead_hours)
        return pd.to_datetime(frame["shift_date"]).dt.tz_localize("UTC") - lead
    event = frame["dump_end" if name == "haul_cycles" else "dispensed_at"]
    lag = pd.Timedelta(seconds=cfg.defects.ingest_lag_seconds)
    late = frame.get("defect", pd.Series("", index=frame.index)).fillna("") != ""
    return event + lag + late.astype("int64") * pd.Timedelta(hours=cfg.defects.reentry_delay_hours)


def load_operations(
    spec: MineSpec, ops: dict[str, pd.DataFrame], uri: str | None = None
) -> dict[str, int]:
    """Replace the spec's window of the operations source with ``ops``; rows per table."""
    uri = uri or operations_db_uri()
    schema = get_settings().synth.sources.operations_schema
    win = spec_window(spec)
    windows = {
        "haul_cycles": ("dump_end", win.lo, win.hi),
        "fuel_dispatch": ("dispensed_at", win.lo, win.hi),
        "shift_plan": ("shift_date", win.first_date, win.last_date + timedelta(days=2)),
    }
    counts: dict[str, int] = {}
    with psycopg.connect(uri) as conn, conn.cursor() as cur:
        for name in OPERATION_TABLES:
            table = sql.Identifier(schema, name)
            frame = ops[name]
            if name == "equipment":
                cur.execute(
                    sql.SQL("DELETE FROM {} WHERE equipment_id = ANY(%s)").format(table),
                    (list(frame["equipment_id"]),),
                )
            else:
                col, lo, hi = windows[name]
                cur.execute(
                    sql.SQL("DELETE FROM {} WHERE {} >= %s AND {} < %s").format(
                        table, sql.Identifier(col), sql.Identifier(col)
                    ),
                    (lo, hi),
                )
            out = frame[COLUMNS[name]].copy()
            out["modified_at"] = modified_at(name, frame, win.lo)
            _copy_frame(cur, table, out)
            counts[name] = len(out)
    log.info("operations loaded: %s", counts)
    return counts


def load_telemetry(spec: MineSpec, chunks: Iterable[pd.DataFrame], uri: str | None = None) -> int:
    """Replace the spec's window of ``api.truck_telemetry`` with ``chunks`` (streamed); rows."""
    uri = uri or telemetry_db_uri()
    table = sql.Identifier(get_settings().synth.sources.telemetry_schema, "truck_telemetry")
    win = spec_window(spec)
    rows = 0
    with psycopg.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("DELETE FROM {} WHERE ts >= %s AND ts < %s").format(table), (win.lo, win.hi)
        )
        columns = [*COLUMNS["truck_telemetry"], "ingested_at"]
        # one COPY for the whole stream; a writer thread sends chunk n while n+1 is generated
        with cur.copy(_copy_statement(table, columns), writer=QueuedLibpqWriter(cur)) as copy:
            for chunk in chunks:
                copy.write(_csv_bytes(chunk[columns]))
                rows += len(chunk)
    log.info("telemetry loaded: %d rows", rows)
    return rows
