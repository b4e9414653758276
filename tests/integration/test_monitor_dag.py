"""The monitor_drift DAG end to end with ``dag.test()`` against a real warehouse database, a
migrated Airflow metadata database and a local MLflow store (no champion: warehouse reference)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
import pytest

from fuelopt.assets import RETRAIN_REQUEST
from tests.conftest import ROOT
from tests.integration.test_monitor_checks import as_of_day, load_raw, write_table
from tests.support.mine import mine

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def _retrain_events() -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == RETRAIN_REQUEST.uri)
        )


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_monitor_drift_dag_end_to_end(dbt_features, airflow_home, warehouse_uri, mlflow_store):
    from airflow.dag_processing.dagbag import DagBag

    frame = mine(dbt_features, "payload_shift", start_day=19)
    write_table(warehouse_uri, "features.cycle_features", frame)
    write_table(
        warehouse_uri,
        "marts.fct_fuel_daily",
        pd.DataFrame({"date": [dt.date(2026, 1, 1)], "fuel_l": [1.0]}),
    )
    first, second = as_of_day(frame, 19, 12), as_of_day(frame, 19, 18)
    now = dt.datetime.now(dt.UTC)
    telemetry = pd.DataFrame(
        {
            "truck_id": ["T01", "T01"],
            "ts": pd.to_datetime([first, second]) - pd.Timedelta(minutes=5),
        }
    )
    load_raw(warehouse_uri, telemetry, "truck_telemetry", now)
    raw_cycles = frame[["cycle_id", "truck_id", "load_start", "dump_end", "payload_t"]]
    load_raw(warehouse_uri, raw_cycles, "haul_cycles", now)

    bag = DagBag(dag_folder=str(ROOT / "dags" / "monitor_drift.py"))
    assert not bag.import_errors
    dag = bag.dags["monitor_drift"]
    events_before = _retrain_events()  # the session's Airflow home is shared with other tests

    run = dag.test(logical_date=first, run_conf={"force_retrain": True})
    assert str(run.state) == "success", _states(run)
    assert set(_states(run).values()) == {"success"}
    assert "shadow_scores" in _states(run)  # no champion yet: nothing to score, no failure
    assert _retrain_events() == events_before + 1
    with psycopg.connect(warehouse_uri) as conn:
        types = conn.execute(
            "SELECT DISTINCT check_type FROM ops.drift_checks WHERE run_id = %s", (run.run_id,)
        ).fetchall()
        assert {t for (t,) in types} == {"data_drift", "prediction_drift", "accuracy", "freshness"}
        payload = conn.execute(
            """SELECT drift, severity, details->>'reference' FROM ops.drift_checks
               WHERE run_id = %s AND check_type = 'data_drift' AND column_name = 'payload_t'""",
            (run.run_id,),
        ).fetchone()
        assert payload == (True, "high", "warehouse:14d")
        request = conn.execute(
            "SELECT accepted, reason FROM ops.retrain_requests WHERE run_id = %s", (run.run_id,)
        ).fetchone()
        assert request[0] and "forced" in request[1]
        alerts = conn.execute(
            "SELECT message FROM ops.alert_log WHERE kind = 'monitoring' AND run_id = %s",
            (run.run_id,),
        ).fetchall()
        assert len(alerts) == 1 and "Retrain:  requested" in alerts[0][0]

    # Six hours later the shift is still there: the drift event is confirmed and sent; no
    # retrain reason yet (3 runs needed), so the request task is skipped and emits nothing.
    # (explicit conf: here the first dag.test()'s run_conf leaked into the next run's params)
    run2 = dag.test(logical_date=second, run_conf={"force_retrain": False})
    states = _states(run2)
    assert states.pop("request_retrain") == "skipped"
    assert set(states.values()) == {"success"}
    assert _retrain_events() == events_before + 1
    with psycopg.connect(warehouse_uri) as conn:
        (message,) = conn.execute(
            "SELECT message FROM ops.alert_log WHERE kind = 'monitoring' AND run_id = %s",
            (run2.run_id,),
        ).fetchone()
    assert "data drift features.cycle_features.payload_t" in message
