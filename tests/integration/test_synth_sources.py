"""`init-sources` and `--load` against real PostgreSQL (the telemetry database and the
PostgreSQL stand-in for SQL Server), in this test's own databases."""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg
import pytest

from fuelopt.cli import main
from fuelopt.synth import COLUMNS, MineSpec, generate_operations
from fuelopt.synth.load import init_sources, load_operations
from fuelopt.warehouse.db import admin_uri, database_name, with_database

pytestmark = pytest.mark.integration

OPS_TABLES = ("equipment", "haul_cycles", "fuel_dispatch", "shift_plan")


@pytest.fixture
def sources(make_database) -> tuple[str, str]:
    telemetry, operations = make_database("synth_tel"), make_database("synth_ops")
    init_sources(telemetry, operations)
    init_sources(telemetry, operations)  # idempotent
    return telemetry, operations


def _counts(uri: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(uri) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_init_creates_tables_indexes_and_read_only_role(sources):
    telemetry, operations = sources
    with psycopg.connect(telemetry) as conn:
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'api'"
            " AND tablename = 'truck_telemetry' AND indexdef LIKE '%(ts, truck_id)%'"
        ).fetchall()
        assert index
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'api'"
            " AND table_name = 'truck_telemetry' ORDER BY ordinal_position"
        )]  # fmt: skip
        assert cols[:8] == COLUMNS["truck_telemetry"]
        assert "ingested_at" in cols
    with psycopg.connect(operations) as conn:
        pks = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.table_constraints"
            " WHERE table_schema = 'dbo' AND constraint_type = 'PRIMARY KEY'"
        )}  # fmt: skip
        assert pks == set(OPS_TABLES)
        idx = " ".join(r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes"))
        assert "(dump_end)" in idx and "(dispensed_at)" in idx
    # the anonymous PostgREST role reads and cannot write
    admin = with_database(admin_uri(), database_name(telemetry))
    with psycopg.connect(admin) as conn:
        assert conn.execute(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'telemetry_anon'"
        ).fetchone() == (False,)
        conn.execute("SET ROLE telemetry_anon")
        conn.execute("SELECT count(*) FROM api.truck_telemetry")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO api.truck_telemetry (truck_id) VALUES ('x')")


def _synth(telemetry: str, operations: str, start: str, *extra: str) -> int:
    return main(["synth", "--seed", "8", "--days", "2", "--trucks", "3", "--shovels", "2",
                 "--start", start, "--load", "--telemetry-url", telemetry,
                 "--operations-url", operations, *extra])  # fmt: skip


def test_load_is_idempotent_and_matches_the_files(sources, tmp_path):
    telemetry, operations = sources
    files = tmp_path / "files"
    assert _synth(telemetry, operations, "2026-07-01", "--out", str(files)) == 0
    first = _counts(operations, [f"dbo.{t}" for t in OPS_TABLES])
    tel_first = _counts(telemetry, ["api.truck_telemetry"])
    assert _synth(telemetry, operations, "2026-07-01") == 0  # a re-load replaces
    assert _counts(operations, [f"dbo.{t}" for t in OPS_TABLES]) == first
    assert _counts(telemetry, ["api.truck_telemetry"]) == tel_first
    assert first["dbo.haul_cycles"] == len(pd.read_csv(files / "haul_cycles.csv"))
    assert tel_first["api.truck_telemetry"] == len(pd.read_csv(files / "truck_telemetry.csv"))
    with psycopg.connect(telemetry) as conn:
        late = conn.execute(
            "SELECT count(*) FROM api.truck_telemetry WHERE ingested_at > ts + interval '1 hour'"
        ).fetchone()[0]
        assert late > 0
        nulls, blanks = conn.execute(
            "SELECT count(*) FILTER (WHERE fuel_rate_lph IS NULL OR status IS NULL),"
            " count(*) FILTER (WHERE status = '') FROM api.truck_telemetry"
        ).fetchone()
        assert nulls > 0 and blanks == 0  # missing values arrive as NULL, not ''
    # the next two days load beside the first two
    assert _synth(telemetry, operations, "2026-07-03") == 0
    after = _counts(telemetry, ["api.truck_telemetry"])["api.truck_telemetry"]
    assert after > tel_first["api.truck_telemetry"]
    after_ops = _counts(operations, ["dbo.haul_cycles"])["dbo.haul_cycles"]
    assert after_ops > first["dbo.haul_cycles"]


def test_load_functions_take_target_uris(sources):
    _, operations = sources
    spec = MineSpec(seed=1, days=1, trucks=2, shovels=1, dumps=1, start=date(2026, 8, 1))
    counts = load_operations(spec, generate_operations(spec, include_truth=True), operations)
    in_db = _counts(operations, [f"dbo.{t}" for t in OPS_TABLES])
    assert counts == {t: in_db[f"dbo.{t}"] for t in OPS_TABLES}
    assert counts["haul_cycles"] > 0
