"""SQL Server (PostgreSQL stand-in, dbo tables) -> raw.* against the real local PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from fuelopt.cli import main
from fuelopt.sources.extract import load_operations_table
from tests.support.sources import (
    T0,
    frame_rows,
    insert_operations,
    operations_rows,
)

pytestmark = pytest.mark.integration
TABLES = ("equipment", "haul_cycles", "fuel_dispatch", "shift_plan")


def count(uri: str, table: str) -> int:
    with psycopg.connect(uri) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_full_window_equals_source_and_rerun_leaves_one_copy(warehouse_uri, operations_source):
    data = operations_rows(days=3)
    insert_operations(operations_source, data)
    end = T0 + timedelta(days=3)
    for _ in range(2):
        for table in TABLES:
            result = load_operations_table(table, T0, end, since=T0, until=end)
            assert result["rows_loaded"] == len(data[table])
    for table in TABLES:
        assert count(warehouse_uri, f"raw.{table}") == len(data[table])
    with psycopg.connect(warehouse_uri) as conn:
        got = conn.execute(
            "SELECT cycle_id, payload_t, fuel_l, dump_end FROM raw.haul_cycles ORDER BY cycle_id"
        ).fetchall()
        marks = dict(conn.execute("SELECT table_name, value FROM ops.watermarks").fetchall())
    want = sorted((r[0], r[6], r[14], r[5]) for r in data["haul_cycles"])
    assert got == want
    assert marks["haul_cycles"] == max(r[5] for r in data["haul_cycles"])
    assert set(marks) == {"haul_cycles", "fuel_dispatch"}


def test_synthetic_operations_equal_source(warehouse_uri, operations_source):
    from fuelopt.synth import MineSpec, generate_operations

    ops = generate_operations(MineSpec(seed=7, days=3, trucks=4))
    insert_operations(operations_source, {t: frame_rows(f) for t, f in ops.items()})
    low = min(ops["haul_cycles"]["dump_end"].min(), ops["fuel_dispatch"]["dispensed_at"].min())
    high = max(ops["haul_cycles"]["dump_end"].max(), ops["fuel_dispatch"]["dispensed_at"].max())
    since, until = low.to_pydatetime(), high.to_pydatetime() + timedelta(seconds=1)
    for table in TABLES:
        load_operations_table(table, since, until, since=since, until=until)
        assert count(warehouse_uri, f"raw.{table}") == len(ops[table]), table
    with psycopg.connect(warehouse_uri) as conn:
        litres = conn.execute("SELECT sum(litres) FROM raw.fuel_dispatch").fetchone()[0]
    assert litres == pytest.approx(ops["fuel_dispatch"]["litres"].sum())


def test_scheduled_run_loads_its_day_plus_lookback_only(warehouse_uri, operations_source):
    from fuelopt.config import get_settings

    insert_operations(operations_source, operations_rows(days=3))
    lookback = timedelta(hours=get_settings().sources.operations.lookback_hours)
    day2 = T0 + timedelta(days=2)
    result = load_operations_table("haul_cycles", day2, day2 + timedelta(days=1))
    assert result["start"] == (day2 - lookback).isoformat()
    with psycopg.connect(warehouse_uri) as conn:
        low, high = conn.execute(
            "SELECT min(dump_end), max(dump_end) FROM raw.haul_cycles"
        ).fetchone()
    assert low >= day2 - lookback
    assert high < day2 + timedelta(days=1)


def test_cli_writes_table_since(tmp_path, operations_source, capsys):
    data = operations_rows(days=2)
    insert_operations(operations_source, data)
    out = tmp_path / "cycles.csv"
    since = T0 + timedelta(days=1)
    code = main(
        [
            "extract",
            "operations",
            "--table",
            "haul_cycles",
            "--since",
            since.isoformat(),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    lines = out.read_text().splitlines()
    assert lines[0].split(",")[0] == "cycle_id"
    assert len(lines) - 1 == sum(1 for r in data["haul_cycles"] if r[5] >= since)
    assert main(["extract", "operations", "--table", "nope", "--out", str(out)]) == 2
    assert "--table" in capsys.readouterr().err


def _raw_cycles(uri: str) -> list[tuple]:
    with psycopg.connect(uri) as conn:
        return conn.execute(
            "SELECT cycle_id, truck_id, dump_end, payload_t, fuel_l FROM raw.haul_cycles"
            " ORDER BY cycle_id"
        ).fetchall()


def test_late_correction_reaches_raw_once_and_a_rerun_changes_nothing(
    warehouse_uri, operations_source
):
    """A haul cycle corrected in the source (fuel_l, modified_at = now) two days after its event
    is brought into raw by the next daily run, replacing the old row."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=3)
    data = operations_rows(start=start, days=3)
    insert_operations(operations_source, data)
    load_operations_table("haul_cycles", start, today, since=start, until=today)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    cycle = max((r for r in data["haul_cycles"] if r[5] <= two_days_ago), key=lambda r: r[5])
    with psycopg.connect(operations_source) as conn:
        conn.execute(
            "UPDATE dbo.haul_cycles SET fuel_l = 999.5, modified_at = now() WHERE cycle_id = %s",
            (cycle[0],),
        )
        corrected_at = conn.execute(
            "SELECT modified_at FROM dbo.haul_cycles WHERE cycle_id = %s", (cycle[0],)
        ).fetchone()[0]

    tomorrow = today + timedelta(days=1)
    runs = [load_operations_table("haul_cycles", today, tomorrow) for _ in range(2)]
    after_each = _raw_cycles(warehouse_uri)
    assert runs[0]["start"] == (today - timedelta(days=1)).isoformat()  # daily run + look-back
    assert len(after_each) == len(data["haul_cycles"])
    assert [r for r in after_each if r[0] == cycle[0]] == [
        (cycle[0], cycle[1], cycle[5], cycle[6], 999.5)
    ]
    assert _raw_cycles(warehouse_uri) == after_each
    assert runs[1]["rows_replaced"] == runs[1]["rows_loaded"]  # the re-run replaced itself
    with psycopg.connect(warehouse_uri) as conn:
        mark = conn.execute(
            "SELECT column_name, value FROM ops.watermarks WHERE table_name = 'haul_cycles'"
        ).fetchone()
        audits = conn.execute(
            "SELECT count(*) FROM ops.load_audit WHERE table_name = 'haul_cycles'"
        ).fetchone()[0]
    assert mark == ("modified_at", corrected_at)
    assert audits == 3


def test_a_locked_source_table_fails_after_the_query_timeout(
    warehouse_uri, operations_source, monkeypatch
):
    from fuelopt.config import get_settings
    from fuelopt.errors import SourceUnavailable

    insert_operations(operations_source, operations_rows(days=1))
    monkeypatch.setenv("FUELOPT__SOURCES__OPERATIONS__QUERY_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    try:
        with psycopg.connect(operations_source) as holder:
            holder.execute("LOCK TABLE dbo.fuel_dispatch IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            with pytest.raises(SourceUnavailable, match="query_timeout_seconds"):
                load_operations_table("fuel_dispatch", T0, T0 + timedelta(days=1))
            waited = time.monotonic() - started
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert waited < 10
    assert count(warehouse_uri, "raw.fuel_dispatch") == 0
