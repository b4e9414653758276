"""The raw loader on the real local PostgreSQL warehouse; and the SQL Server reader against a real
SQL Server when FUELOPT_MSSQL_URL is set."""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from fuelopt.sources.tables import OPERATIONS_COLUMNS, TELEMETRY_COLUMNS
from fuelopt.warehouse.loader import CsvRows, Interval, load_interval
from tests.support.sources import T0, operations_rows, telemetry_rows

pytestmark = pytest.mark.integration
END = T0 + timedelta(hours=2)


def pages(rows, size=50, kind="rows"):
    """``rows`` in pages of ``size``: as they are, or as CSV pages with a header line whose
    columns come in another order than the contract's (COPY follows the header)."""
    for i in range(0, len(rows), size):
        yield rows[i : i + size] if kind == "rows" else csv_page(rows[i : i + size])


def csv_page(rows) -> CsvRows:
    order = [*TELEMETRY_COLUMNS[1:], TELEMETRY_COLUMNS[0]]
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(order)
    out.writerows([*r[1:], r[0]] for r in rows)
    data = text.getvalue().encode()
    return CsvRows(tuple(order), data, 0, len(data), len(rows))


KINDS = pytest.mark.parametrize("kind", ["rows", "csv"])


def table_count(uri: str, table: str) -> int:
    with psycopg.connect(uri) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def raw_digest(uri: str) -> list[tuple]:
    with psycopg.connect(uri) as conn:
        cols = ", ".join(TELEMETRY_COLUMNS)
        return conn.execute(
            f"SELECT {cols} FROM raw.truck_telemetry ORDER BY ts, truck_id"
        ).fetchall()


@KINDS
def test_rerun_replaces_the_interval_and_keeps_one_copy(warehouse_uri, kind):
    rows = telemetry_rows(minutes=120)
    rows[7] = (rows[7][0], rows[7][1], None, None, 1.5, None, None, None)  # nulls survive CSV
    first = load_interval("truck_telemetry", TELEMETRY_COLUMNS, pages(rows, kind=kind),
                          source="test", interval=Interval("ts", T0, END))  # fmt: skip
    second = load_interval("truck_telemetry", TELEMETRY_COLUMNS, pages(rows, kind=kind),
                           source="test", interval=Interval("ts", T0, END))  # fmt: skip
    assert (first.rows_loaded, first.rows_replaced) == (len(rows), 0)
    assert (second.rows_loaded, second.rows_replaced) == (len(rows), len(rows))
    assert raw_digest(warehouse_uri) == sorted(rows, key=lambda r: (r[1], r[0]))
    with psycopg.connect(warehouse_uri) as conn:
        meta = conn.execute(
            "SELECT DISTINCT _batch_id, _source, _loaded_at IS NOT NULL FROM raw.truck_telemetry"
        ).fetchall()
        mark = conn.execute("SELECT value FROM ops.watermarks").fetchone()[0]
    assert meta == [(second.batch_id, "test", True)]
    assert mark == max(r[1] for r in rows)


@KINDS
def test_failure_mid_stream_rolls_back_the_whole_load(warehouse_uri, kind):
    rows = telemetry_rows(minutes=120)
    load_interval("truck_telemetry", TELEMETRY_COLUMNS, pages(rows, kind=kind), source="test",
                  interval=Interval("ts", T0, END))  # fmt: skip

    def broken():
        yield from pages(rows[:100], size=100, kind=kind)
        raise RuntimeError("source died on page 2")

    with pytest.raises(RuntimeError, match="page 2"):
        load_interval("truck_telemetry", TELEMETRY_COLUMNS, broken(), source="test",
                      interval=Interval("ts", T0, END))  # fmt: skip
    assert table_count(warehouse_uri, "raw.truck_telemetry") == len(rows)
    assert table_count(warehouse_uri, "ops.load_audit") == 1


def _advisory_lock_waiters(uri: str) -> int:
    with psycopg.connect(uri) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()[0]


def test_overlapping_loads_at_the_same_time_leave_one_copy(warehouse_uri):
    """A backfill and a scheduled run of the same hours at once: the later load waits for the
    earlier one and replaces its rows."""
    rows = telemetry_rows(minutes=120)
    first_page_sent, release = threading.Event(), threading.Event()

    def slow_source():
        yield rows[:100]
        first_page_sent.set()
        release.wait(30)
        yield rows[100:]

    def load(source_pages) -> None:
        load_interval("truck_telemetry", TELEMETRY_COLUMNS, source_pages, source="test",
                      interval=Interval("ts", T0, END))  # fmt: skip

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(load, slow_source())
        assert first_page_sent.wait(30)
        second = pool.submit(load, pages(rows))
        deadline = time.monotonic() + 30
        while not (second.done() or _advisory_lock_waiters(warehouse_uri)):
            assert time.monotonic() < deadline, "the second load neither waited nor ended"
            time.sleep(0.05)
        release.set()
        first.result(timeout=60), second.result(timeout=60)
    assert table_count(warehouse_uri, "raw.truck_telemetry") == len(rows)


def test_a_held_load_lock_fails_the_second_load_after_the_bound(warehouse_uri, monkeypatch):
    """A load that holds raw.truck_telemetry for ever (a stuck backfill) does not block another
    window's load for long: it fails after warehouse.load.lock_timeout_seconds, naming both."""
    from fuelopt.config import get_settings
    from fuelopt.warehouse.loader import LoadLockTimeout

    monkeypatch.setenv("FUELOPT__WAREHOUSE__LOAD__LOCK_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    rows = telemetry_rows(minutes=60)
    load_interval("truck_telemetry", TELEMETRY_COLUMNS, [rows], source="test",
                  interval=Interval("ts", T0, END))  # fmt: skip
    with psycopg.connect(warehouse_uri) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(hashtextextended('raw.truck_telemetry', 0))")
        started = time.monotonic()
        with pytest.raises(LoadLockTimeout, match=r"raw\.truck_telemetry.*lock_timeout_seconds"):
            load_interval("truck_telemetry", TELEMETRY_COLUMNS, [telemetry_rows(minutes=10)],
                          source="test", interval=Interval("ts", T0, END))  # fmt: skip
        waited = time.monotonic() - started
    monkeypatch.undo()
    get_settings.cache_clear()
    assert 1 <= waited < 10
    assert table_count(warehouse_uri, "raw.truck_telemetry") == len(rows)
    assert table_count(warehouse_uri, "ops.load_audit") == 1


def test_backfill_of_old_data_does_not_lower_the_watermark(warehouse_uri):
    late = telemetry_rows(start=T0 + timedelta(days=1), minutes=10)
    early = telemetry_rows(minutes=10)
    day2 = T0 + timedelta(days=1)
    load_interval("truck_telemetry", TELEMETRY_COLUMNS, [late], source="test",
                  interval=Interval("ts", day2, day2 + timedelta(hours=1)))  # fmt: skip
    load_interval("truck_telemetry", TELEMETRY_COLUMNS, [early], source="test",
                  interval=Interval("ts", T0, END))  # fmt: skip
    with psycopg.connect(warehouse_uri) as conn:
        mark = conn.execute("SELECT value FROM ops.watermarks").fetchone()[0]
    assert mark == max(r[1] for r in late)


@pytest.mark.sqlserver
@pytest.mark.skipif(not os.environ.get("FUELOPT_MSSQL_URL"), reason="FUELOPT_MSSQL_URL not set")
def test_reader_against_real_sql_server():
    """FUELOPT_MSSQL_URL: a SQLAlchemy URL (mssql+pymssql://user:pw@host:1433/db) of a scratch
    database; the test creates and drops its own schema."""
    import sqlalchemy as sa

    from fuelopt.config import PROJECT_ROOT
    from fuelopt.sources.sqlserver import build_query, iter_chunks

    engine = sa.create_engine(os.environ["FUELOPT_MSSQL_URL"])
    schema = f"fo_test_{os.getpid()}"
    ddl = (PROJECT_ROOT / "include/sql/sqlserver/10_operations.sql").read_text()
    data = operations_rows(days=1)["haul_cycles"]
    cols = OPERATIONS_COLUMNS["haul_cycles"]
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            conn.exec_driver_sql(ddl.replace("dbo.", f"{schema}.").replace("N'dbo", f"N'{schema}"))
            naive = [
                tuple(v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v
                      for v in row)
                for row in data
            ]  # fmt: skip
            table = sa.table("haul_cycles", *(sa.column(c) for c in cols), schema=schema)
            conn.execute(sa.insert(table), [dict(zip(cols, r, strict=True)) for r in naive])
        since = datetime(2026, 1, 5, 6)
        query = build_query("haul_cycles", schema, "dump_end", since, since + timedelta(hours=6))
        got = [row for chunk in iter_chunks(engine, query, 7, timeout_seconds=60) for row in chunk]
        want = sorted((r for r in naive if since <= r[5] < since + timedelta(hours=6)),
                      key=lambda r: (r[5], r[0]))  # fmt: skip
        assert [r[0] for r in got] == [r[0] for r in want]
    finally:
        with engine.begin() as conn:
            for name in ("shift_plan", "fuel_dispatch", "haul_cycles", "equipment"):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{name}")
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema}")
        engine.dispose()
