"""Quarantine rules that span loads, on a real warehouse and real dbt: a cycle re-entered under a
new id in a later load, rows stamped in the future, a null truck id under the raw gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import psycopg
import pytest

from fuelopt.quality.gates import run_gate
from fuelopt.synth import MineSpec
from fuelopt.transform.dbt_run import run_dbt
from fuelopt.warehouse.db import query_frame
from tests.support.raw_data import MineData, copy_raw, load_mine_days


@pytest.fixture(scope="module")
def mine() -> MineData:
    return MineData.generate(MineSpec(seed=11, days=2, trucks=3, shovels=2, dumps=1, clean=True))


def _rows(uri: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(uri) as conn:
        return conn.execute(query, params).fetchall()


def _frame(uri: str, query: str) -> pd.DataFrame:
    with psycopg.connect(uri) as conn:
        return query_frame(conn, query)


def _snapshot(uri: str) -> dict[str, pd.DataFrame]:
    out = {}
    for relation, order in {
        "cleansed.stg_operations__haul_cycles": "cycle_id",
        "cleansed.stg_operations__fuel_dispatch": "dispatch_id",
        "cleansed.stg_telemetry__truck_telemetry": "truck_id, ts",
        "marts.fct_haul_cycles": "cycle_id",
        "ops.rejects": "reject_id",
    }.items():
        frame = _frame(uri, f"SELECT * FROM {relation} ORDER BY {order}")
        out[relation] = frame.drop(columns=["rejected_at"], errors="ignore")
    return out


def test_reentered_and_future_rows_are_quarantined_across_loads(warehouse_uri, mine, tmp_path):
    target = tmp_path / "target"
    first = datetime.now(UTC) - timedelta(days=3)
    load_mine_days(warehouse_uri, mine, [0], first_loaded_at=first)
    run_dbt(["build"], uri=warehouse_uri, target_path=target)

    cycles = mine.operations["haul_cycles"]
    day0 = cycles[mine.day_index("haul_cycles", cycles).to_numpy() == 0]
    original = day0.iloc[0]
    reentry = original.copy()
    reentry["cycle_id"] = "A-" + original["cycle_id"]  # sorts before the original
    reentry["fuel_l"] = original["fuel_l"] + 10.0
    dispatch = mine.operations["fuel_dispatch"].iloc[[0]].copy()
    dispatch["dispatch_id"] = "A-" + dispatch["dispatch_id"]
    later = datetime.now(UTC)
    future = (later + timedelta(days=200)).replace(microsecond=0)
    ahead = original.copy()
    ahead["cycle_id"] = "FUTURE-1"
    ahead["load_start"] = future - timedelta(minutes=30)
    ahead["dump_end"] = future
    no_truck = day0.iloc[1].copy()
    no_truck["cycle_id"] = "NO-TRUCK-1"
    no_truck["truck_id"] = None
    no_truck["load_start"] = pd.Timestamp(no_truck["load_start"]) + pd.Timedelta(seconds=7)
    tel = mine.telemetry.iloc[[0]].copy()
    tel["ts"] = future
    copy_raw(warehouse_uri, "haul_cycles", pd.DataFrame([reentry, ahead, no_truck]), later)
    copy_raw(warehouse_uri, "fuel_dispatch", dispatch, later)
    copy_raw(warehouse_uri, "truck_telemetry", tel, later)

    report = run_gate("raw", uri=warehouse_uri, run_id="quarantined", raise_on_failure=False)
    assert report.success, report.summary()  # one null truck id is the quarantine's, not a stop

    run_dbt(["build"], uri=warehouse_uri, target_path=target)  # incremental; raises on failure
    rules = dict(
        _rows(
            warehouse_uri,
            "SELECT record_key, rule FROM ops.rejects WHERE table_name IN"
            " ('haul_cycles', 'fuel_dispatch', 'truck_telemetry')",
        )
    )
    assert rules[reentry["cycle_id"]] == "duplicate"
    assert original["cycle_id"] not in rules
    assert rules[dispatch["dispatch_id"].iloc[0]] == "duplicate"
    assert rules["FUTURE-1"] == "future_timestamp"
    assert rules["NO-TRUCK-1"] == "null_value"
    assert any(k.endswith(future.strftime("%Y-%m-%d %H:%M:%S+00")) and r == "future_timestamp"
               for k, r in rules.items())  # fmt: skip

    kept = _rows(
        warehouse_uri,
        "SELECT cycle_id, fuel_l FROM marts.fct_haul_cycles WHERE truck_id = %s"
        " AND load_start = %s",
        (original["truck_id"], pd.Timestamp(original["load_start"]).to_pydatetime()),
    )
    assert kept == [(original["cycle_id"], pytest.approx(original["fuel_l"]))]
    newest = _rows(warehouse_uri, "SELECT max(dump_end) FROM marts.fct_haul_cycles")[0][0]
    assert newest < later

    incremental = _snapshot(warehouse_uri)
    run_dbt(["build", "--full-refresh"], uri=warehouse_uri, target_path=target)
    full = _snapshot(warehouse_uri)
    for relation, frame in incremental.items():
        pd.testing.assert_frame_equal(
            frame, full[relation], check_exact=False, rtol=1e-9, obj=relation
        )
