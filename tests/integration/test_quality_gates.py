"""Great Expectations gates on a real warehouse: thresholds, stored results, data docs, and raw
gates that validate each load batch once (a bad day fails its own load after a year of history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.quality.gates import GateFailed, run_gate
from fuelopt.synth import MineSpec, generate_operations
from fuelopt.warehouse.db import query_frame
from fuelopt.warehouse.loader import Interval, LoadResult, load_interval
from tests.support.raw_data import RAW_COLUMNS, MineData, copy_raw, load_mine_days


@pytest.fixture
def gx_docs(warehouse_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("FUELOPT__QUALITY__DATA_DOCS_DIR", str(tmp_path / "gx_docs"))
    get_settings.cache_clear()
    yield warehouse_uri, tmp_path
    get_settings.cache_clear()


@pytest.fixture
def loaded(gx_docs):
    mine = MineData.generate(MineSpec(seed=5, days=2, trucks=4, shovels=2, dumps=1, clean=True))
    load_mine_days(gx_docs[0], mine, range(2))
    return gx_docs


def _null_fuel(uri: str, share: float, batch_id: str | None = None) -> None:
    """Null ``fuel_l`` in the first ``share`` of each load batch's cycles (or of one batch)."""
    with psycopg.connect(uri) as conn:
        conn.execute(
            "UPDATE raw.haul_cycles h SET fuel_l = NULL FROM (SELECT cycle_id, _batch_id,"
            "  row_number() OVER (PARTITION BY _batch_id ORDER BY cycle_id) AS n,"
            "  count(*) OVER (PARTITION BY _batch_id) AS total FROM raw.haul_cycles) r"
            " WHERE h.cycle_id = r.cycle_id AND h._batch_id = r._batch_id"
            " AND r.n <= ceil(r.total * %s) AND (%s::text IS NULL OR h._batch_id = %s)",
            (share, batch_id, batch_id),
        )


def test_raw_gate_passes_below_and_fails_above_the_fuel_null_threshold(loaded):
    uri, tmp_path = loaded
    limit = get_settings().quality.gates.max_null_rate
    _null_fuel(uri, limit / 2)
    report = run_gate("raw", uri=uri, run_id="below")
    assert report.success, report.summary()
    assert (tmp_path / "gx_docs" / "index.html").exists()

    with psycopg.connect(uri) as conn:  # a new load: a copy of the cycles under new ids
        frame = query_frame(conn, "SELECT * FROM raw.haul_cycles WHERE fuel_l IS NOT NULL")
    frame["cycle_id"] = "N-" + frame["cycle_id"]
    batch = "haul_cycles-above"
    copy_raw(uri, "haul_cycles", frame, batch_id=batch)
    _null_fuel(uri, limit * 3, batch)
    with pytest.raises(GateFailed) as failure:
        run_gate("raw", uri=uri, run_id="above")
    message = str(failure.value)
    assert f"raw_haul_cycles batch {batch}: expect_column_values_to_not_be_null(fuel_l)" in message
    assert "% unexpected" in message and f"allowed {limit * 100:.2f} %" in message

    with psycopg.connect(uri) as conn:
        rows = conn.execute(
            "SELECT run_id, success, count(*) FROM ops.dq_results WHERE column_name = 'fuel_l'"
            " AND expectation = 'expect_column_values_to_not_be_null' GROUP BY 1, 2 ORDER BY 1"
        ).fetchall()
    assert rows == [("above", False, 1), ("below", True, 2)]  # one row per batch validated


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


def _load_cycles_day(uri: str, rows: pd.DataFrame, start: datetime) -> LoadResult:
    """Load one day of cycles as the extract does: the real loader replaces the day on dump_end."""
    columns = RAW_COLUMNS["haul_cycles"]
    values = rows.reindex(columns=columns).astype(object)
    values = values.where(values.notna(), None)
    return load_interval(
        "haul_cycles",
        columns,
        [list(values.itertuples(index=False, name=None))],
        source="test",
        interval=Interval("dump_end", start, start + timedelta(days=1)),
        uri=uri,
    )


def test_a_bad_day_fails_its_own_load_after_a_year_of_good_history(gx_docs):
    uri, _ = gx_docs
    limit = get_settings().quality.gates.max_null_rate
    spec = MineSpec(seed=9, days=367, trucks=2, shovels=1, dumps=1, clean=True)
    cycles = generate_operations(spec)["haul_cycles"]
    day0 = pd.Timestamp(spec.start, tz="UTC") + pd.Timedelta(hours=6)
    days = (
        (pd.to_datetime(cycles["dump_end"], utc=True) - day0) // pd.Timedelta(days=1)
    ).to_numpy()

    def day_rows(day: int) -> pd.DataFrame:
        return cycles[days == day].copy()

    def start_of(day: int) -> datetime:
        return (day0 + pd.Timedelta(days=day)).to_pydatetime()

    history = datetime.now(UTC) - timedelta(hours=1)
    copy_raw(uri, "haul_cycles", cycles[days < 365], loaded_at=history, batch_id="history")
    first = run_gate("raw", uri=uri, run_id="history")
    assert first.success and first.gated_batches == ("history",), first.summary()

    bad = day_rows(365)
    bad.loc[bad.index[: int(len(bad) * 0.3)], "fuel_l"] = None
    bad_load = _load_cycles_day(uri, bad, start_of(365))
    with psycopg.connect(uri) as conn:
        share = conn.execute("SELECT avg((fuel_l IS NULL)::int) FROM raw.haul_cycles").fetchone()
    assert share[0] < limit  # the whole table would pass: the bad day hides in the year
    with pytest.raises(GateFailed) as failure:
        run_gate("raw", uri=uri, run_id="bad")
    named = (
        f"raw_haul_cycles batch {bad_load.batch_id}: expect_column_values_to_not_be_null(fuel_l)"
    )
    assert named in str(failure.value)

    good = _load_cycles_day(uri, day_rows(366), start_of(366))
    report = run_gate("raw", uri=uri, run_id="good", raise_on_failure=False)
    assert report.gated_batches == (good.batch_id,)  # the good load passes on its own
    assert {r.batch_id for r in report.failures} == {bad_load.batch_id}  # the bad one still fails

    fixed = _load_cycles_day(uri, day_rows(365), start_of(365))  # the day re-sent, corrected
    report = run_gate("raw", uri=uri, run_id="fixed")
    assert set(report.gated_batches) == {bad_load.batch_id, fixed.batch_id}, report.summary()

    idle = run_gate("raw", uri=uri, run_id="idle")
    assert idle.success and idle.results == [] and idle.gated_batches == ()
    with psycopg.connect(uri) as conn:
        runs = dict(
            conn.execute(
                "SELECT batch_id, count(DISTINCT run_id) FROM ops.dq_results"
                " WHERE batch_id IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
    assert runs == {"history": 1, bad_load.batch_id: 3, good.batch_id: 1, fixed.batch_id: 1}
