"""Great Expectations gates on a real warehouse: thresholds, stored results, data docs."""

from __future__ import annotations

import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.quality.gates import GateFailed, run_gate
from fuelopt.synth import MineSpec
from tests.support.raw_data import MineData, load_mine_days


@pytest.fixture
def loaded(warehouse_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("FUELOPT__QUALITY__DATA_DOCS_DIR", str(tmp_path / "gx_docs"))
    get_settings.cache_clear()
    mine = MineData.generate(MineSpec(seed=5, days=2, trucks=4, shovels=2, dumps=1, clean=True))
    load_mine_days(warehouse_uri, mine, range(2))
    yield warehouse_uri, tmp_path
    get_settings.cache_clear()


def _null_fuel(uri: str, share: float) -> None:
    with psycopg.connect(uri) as conn:
        conn.execute(
            "UPDATE raw.haul_cycles SET fuel_l = NULL WHERE cycle_id IN (SELECT cycle_id FROM"
            " raw.haul_cycles ORDER BY cycle_id LIMIT (SELECT ceil(count(*) * %s) FROM"
            " raw.haul_cycles))",
            (share,),
        )


def test_raw_gate_passes_below_and_fails_above_the_fuel_null_threshold(loaded):
    uri, tmp_path = loaded
    limit = get_settings().quality.gates.max_null_rate
    _null_fuel(uri, limit / 2)
    report = run_gate("raw", uri=uri, run_id="below")
    assert report.success, report.summary()
    assert (tmp_path / "gx_docs" / "index.html").exists()

    _null_fuel(uri, limit * 3)
    with pytest.raises(GateFailed) as failure:
        run_gate("raw", uri=uri, run_id="above")
    message = str(failure.value)
    assert "expect_column_values_to_not_be_null(fuel_l)" in message
    assert "% unexpected" in message and f"allowed {limit * 100:.2f} %" in message

    with psycopg.connect(uri) as conn:
        rows = conn.execute(
            "SELECT run_id, success FROM ops.dq_results WHERE column_name = 'fuel_l'"
            " AND expectation = 'expect_column_values_to_not_be_null' ORDER BY run_id"
        ).fetchall()
    assert rows == [("above", False), ("below", True)]


def test_raw_row_count_must_match_the_load_audit(loaded):
    uri, _ = loaded
    with psycopg.connect(uri) as conn:  # rows that reached raw without a load_audit entry
        conn.execute("INSERT INTO raw.haul_cycles SELECT * FROM raw.haul_cycles LIMIT 3")
    report = run_gate("raw", uri=uri, raise_on_failure=False)
    failed = {(r.suite, r.expectation) for r in report.failures}
    assert ("raw_haul_cycles", "expect_table_row_count_to_equal") in failed


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_gate_results_are_stored_when_a_raw_value_is_not_finite(loaded, value):
    uri, _ = loaded
    with psycopg.connect(uri) as conn:
        conn.execute(
            "UPDATE raw.haul_cycles SET fuel_l = %s::double precision WHERE cycle_id ="
            " (SELECT min(cycle_id) FROM raw.haul_cycles)",
            (value,),
        )
    report = run_gate("raw", uri=uri, run_id=f"nonfinite-{value}", raise_on_failure=False)
    with psycopg.connect(uri) as conn:
        stored = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE details::text ~ 'NaN|Infinity')"
            " FROM ops.dq_results WHERE run_id = %s",
            (f"nonfinite-{value}",),
        ).fetchone()
    assert stored[0] == len(report.results) > 0
    assert stored[1] > 0  # the non-finite value is kept, as a JSON string
