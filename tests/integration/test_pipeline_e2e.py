"""The main job end to end: every DAG, in order, on a small synthetic mine, in databases, an
Airflow home, an MLflow store and an artifacts folder of this test's own."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.pipeline import DAG_ORDER, present_dags, run_pipeline

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pipeline_env(make_database, warehouse_uri, airflow_home, tmp_path, monkeypatch):
    """Point every connection and folder the DAGs use at this test's own."""
    monkeypatch.setenv("AIRFLOW_CONN_FUELOPT_SQLSERVER", make_database("fuelopt_ops"))
    monkeypatch.setenv("FUELOPT_TELEMETRY_DB_URL", make_database("fuelopt_tel"))
    monkeypatch.setenv("AIRFLOW_CONN_FUELOPT_POSTGREST", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
    monkeypatch.setenv("FUELOPT__PATHS__ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    monkeypatch.setenv("FUELOPT__ALERTS__RETRY_DELAY_SECONDS", "1")
    (tmp_path / "mlflow").mkdir()
    get_settings.cache_clear()
    yield warehouse_uri
    get_settings.cache_clear()


@pytest.mark.slow
def test_main_job_runs_every_dag_in_order(pipeline_env, tmp_path):
    results = run_pipeline(tmp_path / "runs", ROOT / "dags")

    failed = [r for r in results if not r.ok]
    assert not failed, failed[0].log_path.read_text()[-5000:]
    assert [r.dag_id for r in results] == present_dags(ROOT / "dags") == list(DAG_ORDER)

    with psycopg.connect(pipeline_env) as conn:

        def count(table: str) -> int:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        assert count("raw.truck_telemetry") > 0
        assert count("raw.haul_cycles") > 0
        for mart in ("dim_equipment", "fct_haul_cycles", "fct_fuel_daily"):
            assert count(f"marts.{mart}") > 0, mart
        assert count("ops.rejects") > 0  # the mine injects defects; they are quarantined
        assert count("ops.predictions") > 0
        assert count("marts.fct_fleet_plan") > 0
        assert count("marts.fct_drift_checks") > 0
        audit = conn.execute(
            "SELECT count(DISTINCT table_name) FROM ops.load_audit WHERE rows_loaded > 0"
        ).fetchone()[0]
        assert audit == 5
