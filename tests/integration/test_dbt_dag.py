"""transform_warehouse end to end with dag.test() on a real warehouse (Cosmos + dbt + GX)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec
from fuelopt.transform.dbt_run import run_dbt
from tests.support.raw_data import MineData, load_mine_days

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "transform_warehouse.py"


@pytest.fixture
def transform_env(airflow_home, warehouse_uri, tmp_path, monkeypatch):
    """A loaded warehouse, a manifest and docs folders of this test's own."""
    mine = MineData.generate(MineSpec(seed=11, days=3, trucks=4, shovels=2, dumps=2))
    load_mine_days(warehouse_uri, mine, range(3))
    run_dbt(["parse"], uri=warehouse_uri, target_path=tmp_path / "target")
    monkeypatch.setenv(
        "FUELOPT__QUALITY__DBT__MANIFEST_PATH", str(tmp_path / "target" / "manifest.json")
    )
    monkeypatch.setenv("FUELOPT__QUALITY__DATA_DOCS_DIR", str(tmp_path / "gx_docs"))
    monkeypatch.setenv("FUELOPT__QUALITY__DBT__DOCS_DIR", str(tmp_path / "dbt_docs"))
    # dag.test() runs one task at a time: a watcher sensor could wait on a producer not yet run.
    monkeypatch.setenv("FUELOPT__TRANSFORM__COSMOS_EXECUTION_MODE", "local")
    get_settings.cache_clear()
    yield warehouse_uri, tmp_path
    get_settings.cache_clear()


def _dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    dag = bag.get_dag("transform_warehouse")
    for op in dag.tasks:  # fail fast in tests: no retry waits
        op.retries = 0
    return dag


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_dag_builds_every_layer_behind_passing_gates(transform_env):
    uri, tmp_path = transform_env
    dag = _dag()
    model_tasks = [t for t in dag.task_ids if t.startswith("dbt_")]
    assert any("stg_operations__haul_cycles" in t for t in model_tasks), model_tasks
    run = dag.test()
    states = _states(run)
    assert str(run.state) == "success", states
    with psycopg.connect(uri) as conn:
        for mart in ("dim_equipment", "fct_haul_cycles", "fct_fuel_daily", "fct_fleet_plan"):
            assert conn.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0] >= 0
        assert conn.execute("SELECT count(*) FROM marts.fct_haul_cycles").fetchone()[0] > 0
        suites = {r[0] for r in conn.execute("SELECT DISTINCT suite FROM ops.dq_results")}
    assert {"raw_haul_cycles", "cleansed_haul_cycles", "features_cycle_features"} <= suites
    assert (tmp_path / "gx_docs" / "index.html").exists()
    assert (tmp_path / "dbt_docs" / "index.html").exists()


def test_failed_raw_gate_stops_the_run_before_dbt(transform_env):
    uri, _ = transform_env
    with psycopg.connect(uri) as conn:  # push the null rate of fuel_l far above its threshold
        conn.execute("UPDATE raw.haul_cycles SET fuel_l = NULL WHERE random() < 0.3")
    run = _dag().test()
    states = _states(run)
    assert str(run.state) == "failed"
    assert states["gate_raw"] == "failed"
    dbt_states = {s for t, s in states.items() if t.startswith("dbt_")}
    assert dbt_states <= {"upstream_failed", "None"}, dbt_states
    with psycopg.connect(uri) as conn:
        failed = conn.execute(
            "SELECT observed FROM ops.dq_results WHERE NOT success AND column_name = 'fuel_l'"
            " AND expectation = 'expect_column_values_to_not_be_null'"
        ).fetchall()
    assert failed and "unexpected" in failed[0][0]
