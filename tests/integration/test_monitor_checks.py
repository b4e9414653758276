"""Monitoring checks against a real warehouse database and a real (local) MLflow store:
data drift with either reference, accuracy, freshness, alert cooldown, retrain circuit breaker."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.monitor import jobs
from fuelopt.monitor.checks import CheckRow, read_checks, write_checks
from tests.support.mine import mine

pytestmark = pytest.mark.integration

SQL_TYPES = {"f": "double precision", "i": "bigint", "b": "boolean", "M": "timestamptz"}


def write_table(uri: str, qualified: str, frame: pd.DataFrame, create: bool = True) -> None:
    """Create ``qualified`` from ``frame``'s dtypes (unless it exists) and COPY the rows in."""
    cols = list(frame.columns)
    with psycopg.connect(uri) as conn:
        if create:
            ddl = ", ".join(
                f"{c} {'date' if c == 'date' else SQL_TYPES.get(frame[c].dtype.kind, 'text')}"
                for c in cols
            )
            conn.execute(f"CREATE TABLE IF NOT EXISTS {qualified} ({ddl})")
        with conn.cursor().copy(f"COPY {qualified} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
                copy.write_row(row)


def load_raw(uri: str, frame: pd.DataFrame, table: str, loaded_at: dt.datetime) -> None:
    meta = frame.assign(_loaded_at=loaded_at, _batch_id="test", _source="synth")
    write_table(uri, f"raw.{table}", meta, create=False)


def as_of_day(frame: pd.DataFrame, day: int, hour: int = 12) -> dt.datetime:
    """An instant inside day index ``day`` of a synthetic mine (its days start at 06:00)."""
    start = frame["load_start"].min().normalize()
    return (start + pd.Timedelta(days=day, hours=hour)).to_pydatetime()


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def test_data_drift_with_warehouse_reference_finds_the_payload_shift(
    dbt_features, warehouse_uri, mlflow_store
):
    frame = mine(dbt_features, "payload_shift", start_day=19)
    write_table(warehouse_uri, "features.cycle_features", frame)
    summary = jobs.run_data_drift("run-a", as_of_day(frame, 19), warehouse_uri)
    assert summary["reference"] == "warehouse:14d"
    with psycopg.connect(warehouse_uri) as conn:
        rows = {(r.check_type, r.column_name): r for r in read_checks(conn, "run-a")}
    payload = rows[("data_drift", "payload_t")]
    assert payload.drift and payload.severity == "high" and payload.metric == "psi"
    assert payload.details["calibrated"] and payload.details["reference"] == "warehouse:14d"
    assert [c for (t, c), r in rows.items() if t == "data_drift" and r.drift] == ["payload_t"]
    assert rows[("prediction_drift", "prediction")].details["note"] == "no champion cycle model"
    # a re-run of the same run replaces its rows
    jobs.run_data_drift("run-a", as_of_day(frame, 19), warehouse_uri)
    with psycopg.connect(warehouse_uri) as conn:
        assert len(read_checks(conn, "run-a")) == len(rows)


def _register(name: str, metrics: dict[str, float], reference: Path | None) -> str:
    import mlflow
    from mlflow import MlflowClient

    from fuelopt.ml.registry import setup_experiment

    setup_experiment()  # artifacts beside the tmp_path store, never ./mlruns

    class Model(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: pd.DataFrame, params=None):
            return 0.4 * model_input["payload_t"].astype(float).to_numpy()

    with mlflow.start_run() as run:
        mlflow.log_metrics(metrics)
        if reference is not None:
            mlflow.log_artifact(str(reference), artifact_path="reference")
        info = mlflow.pyfunc.log_model(
            name="model", python_model=Model(), registered_model_name=name, pip_requirements=[]
        )
    MlflowClient().set_registered_model_alias(name, "champion", info.registered_model_version)
    return str(info.registered_model_version)
    assert run.info.run_id


def test_champion_reference_prediction_drift_and_accuracy(
    dbt_features, warehouse_uri, mlflow_store, tmp_path
):
    from fuelopt.config import get_settings

    ml = get_settings().ml
    frame = mine(dbt_features, "payload_shift", start_day=19)
    clean = frame[frame["load_start"] < as_of_day(frame, 10, 6)]
    reference = tmp_path / "cycle_features.parquet"
    clean.to_parquet(reference)
    _register(ml.cycle_model_name, {"cv_mae_l": 5.0, "cv_mape_pct": 4.0}, reference)
    _register(ml.demand_model_name, {"mape_h7": 5.0, "coverage80_h7": 80.0}, None)
    write_table(warehouse_uri, "features.cycle_features", frame)

    days = pd.date_range("2026-01-01", periods=20, freq="D")
    actual = np.full(20, 50_000.0)
    write_table(
        warehouse_uri, "marts.fct_fuel_daily", pd.DataFrame({"date": days.date, "fuel_l": actual})
    )
    with psycopg.connect(warehouse_uri) as conn:
        for day in days[5:]:
            pred = 65_000.0  # 30 % over the actual: 6 x the validation MAPE of 5 %
            conn.execute(
                """INSERT INTO ops.predictions (model_name, model_version, issued_at, horizon_days,
                       target_date, pred, lo80, hi80, lo95, hi95)
                   VALUES (%s, '1', %s, 7, %s, %s, %s, %s, %s, %s)""",
                (
                    ml.demand_model_name,
                    day - pd.Timedelta(days=7),
                    day.date(),
                    pred,
                    pred * 0.95,
                    pred * 1.05,
                    pred * 0.9,
                    pred * 1.1,
                ),
            )
    when = as_of_day(frame, 19)
    summary = jobs.run_data_drift("run-c", when, warehouse_uri)
    assert summary["reference"] == f"champion:{ml.cycle_model_name}@v1"
    jobs.run_accuracy("run-c", when, warehouse_uri)
    with psycopg.connect(warehouse_uri) as conn:
        rows = {(r.check_type, r.column_name): r for r in read_checks(conn, "run-c")}
    assert rows[("data_drift", "payload_t")].drift
    assert rows[("prediction_drift", "prediction")].drift
    h7 = rows[("accuracy", "h7")]
    assert h7.severity == "critical" and h7.value == pytest.approx(500.0)
    assert h7.details["mape_pct"] == pytest.approx(30.0) and h7.details["coverage80_pct"] == 0.0
    decision = jobs.run_retrain_decision("run-c", uri=warehouse_uri)
    assert decision["accepted"] and "forecast accuracy degraded: h7 critical" in decision["reason"]


def _forecasts(uri: str, model: str, version: str, days: pd.DatetimeIndex, pred: float) -> None:
    with psycopg.connect(uri) as conn:
        for day in days:
            conn.execute(
                """INSERT INTO ops.predictions (model_name, model_version, issued_at, horizon_days,
                       target_date, pred, lo80, hi80, lo95, hi95)
                   VALUES (%s, %s, %s, 7, %s, %s, %s, %s, %s, %s)""",
                (model, version, day - pd.Timedelta(days=7), day.date(), pred, pred * 0.95,
                 pred * 1.05, pred * 0.9, pred * 1.1),
            )  # fmt: skip


def test_each_forecast_is_judged_against_its_own_model_version(warehouse_uri, mlflow_store):
    name = get_settings().ml.demand_model_name
    assert _register(name, {"mape_h7": 40.0}, None) == "1"  # a weak first model
    assert _register(name, {"mape_h7": 5.0}, None) == "2"  # today's champion
    days = pd.date_range("2026-01-01", periods=20, freq="D")
    write_table(
        warehouse_uri,
        "marts.fct_fuel_daily",
        pd.DataFrame({"date": days.date, "fuel_l": np.full(20, 50_000.0)}),
    )
    _forecasts(warehouse_uri, name, "1", days[5:12], 65_000.0)  # 30 %: better than its own 40 %
    _forecasts(warehouse_uri, name, "2", days[12:], 53_000.0)  # 6 %: 20 % over its own 5 %
    jobs.run_accuracy("run-v", days[-1].to_pydatetime(), warehouse_uri)
    with psycopg.connect(warehouse_uri) as conn:
        rows = {r.column_name: r for r in read_checks(conn, "run-v") if r.check_type == "accuracy"}
    assert set(rows) == {"h7", "h7@v1"}
    old, champion = rows["h7@v1"], rows["h7"]
    assert old.details["baseline_mape_pct"] == 40.0 and old.value == pytest.approx(-25.0)
    assert old.severity == "info" and not old.drift
    assert champion.details["baseline_mape_pct"] == 5.0 and champion.value == pytest.approx(20.0)
    assert champion.severity == "warning" and champion.details["is_champion"]


def test_an_unreachable_registry_is_a_failed_check_that_alerts(warehouse_uri, monkeypatch):
    from fuelopt.errors import RegistryUnavailable
    from fuelopt.monitor.alerting import events_from

    with socket.socket() as sock:  # a port nothing listens on: connection refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    when = dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC)
    with pytest.raises(RegistryUnavailable):
        jobs.run_accuracy("run-down", when, warehouse_uri)
    with psycopg.connect(warehouse_uri) as conn:
        (row,) = read_checks(conn, "run-down")
    assert (row.check_type, row.subject, row.severity) == (
        "reachability",
        get_settings().ml.demand_model_name,
        "critical",
    )
    (event,) = events_from([row], "warning")
    assert "could not reach the MLflow registry" in event.text and str(port) in event.text
    with pytest.raises(RegistryUnavailable):  # no decision on a guess about the champion
        jobs.run_retrain_decision("run-down", uri=warehouse_uri)


def test_stale_source_alerts_once_within_the_cooldown(warehouse_uri):
    now = dt.datetime.now(dt.UTC)
    telemetry = pd.DataFrame(
        {"truck_id": ["T01"], "ts": [now - dt.timedelta(hours=30)], "fuel_rate_lph": [100.0]}
    )
    cycles = pd.DataFrame({"cycle_id": ["c1"], "dump_end": [now - dt.timedelta(minutes=30)]})
    load_raw(warehouse_uri, telemetry, "truck_telemetry", now - dt.timedelta(hours=30))
    load_raw(warehouse_uri, cycles, "haul_cycles", now - dt.timedelta(minutes=20))

    jobs.run_freshness("run-1", now, warehouse_uri)
    with psycopg.connect(warehouse_uri) as conn:
        rows = {(r.subject, r.column_name): r for r in read_checks(conn, "run-1")}
    assert rows[("raw.truck_telemetry", "ts")].severity == "high"
    assert rows[("raw.truck_telemetry", "ts")].value == pytest.approx(30 * 60, abs=1)
    assert not rows[("raw.haul_cycles", "dump_end")].drift
    first = jobs.run_alerts("run-1", {}, uri=warehouse_uri)
    assert "freshness:raw.truck_telemetry:ts:high" in first["sent"]

    jobs.run_freshness("run-2", now + dt.timedelta(hours=6), warehouse_uri)
    second = jobs.run_alerts("run-2", {}, uri=warehouse_uri)
    assert second["sent"] == [] and "freshness:raw.truck_telemetry:ts:high" in second["suppressed"]
    with psycopg.connect(warehouse_uri) as conn:
        logged = conn.execute(
            "SELECT severity, run_id, message, event_keys FROM ops.alert_log"
            " WHERE kind = 'monitoring'"
        ).fetchall()
    assert len(logged) == 1
    severity, run_id, message, keys = logged[0]
    assert (severity, run_id) == ("high", "run-1")
    assert "stale source raw.truck_telemetry.ts" in message
    assert "/fuelopt/runbooks/monitor_drift" in message
    assert set(keys) == set(first["sent"])


def _drift_run(conn, run_id: str, at: dt.datetime, drifted: bool) -> None:
    row = CheckRow(
        "data_drift",
        "features.cycle_features",
        "payload_t",
        "psi",
        1.2 if drifted else 0.01,
        0.1,
        drifted,
        "high" if drifted else "none",
    )
    write_checks(conn, run_id, "data_drift", [row], at)


@pytest.fixture
def drift_reasons_only(settings_env) -> None:
    """Retrain on drift alone: no request merely because the test's store has no champion."""
    settings_env(FUELOPT__MONITOR__RETRAIN__WHEN_NO_CHAMPION="false")


def test_circuit_breaker_blocks_a_second_automatic_retrain(warehouse_uri, drift_reasons_only):
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    with psycopg.connect(warehouse_uri) as conn:
        for i, drifted in enumerate([False, True, True]):
            _drift_run(conn, f"r{i}", t0 + dt.timedelta(hours=6 * i), drifted)
    assert not jobs.run_retrain_decision("r2", uri=warehouse_uri)["reason"]  # 2 runs < 3

    with psycopg.connect(warehouse_uri) as conn:
        _drift_run(conn, "r3", t0 + dt.timedelta(hours=18), True)
    first = jobs.run_retrain_decision("r3", uri=warehouse_uri)
    assert first["accepted"] and "sustained data drift" in first["reason"]
    assert jobs.run_retrain_decision("r3", uri=warehouse_uri)["accepted"]  # a re-run is no repeat
    announced = jobs.run_alerts("r3", {}, uri=warehouse_uri)
    assert announced["alert_id"] is not None  # the accepted request is announced ...
    assert jobs.run_alerts("r3", {}, uri=warehouse_uri)["alert_id"] is None  # ... once

    with psycopg.connect(warehouse_uri) as conn:
        _drift_run(conn, "r4", t0 + dt.timedelta(hours=24), True)
    second = jobs.run_retrain_decision("r4", uri=warehouse_uri)
    assert not second["accepted"] and second["blocked_by"].startswith("circuit breaker")
    blocked = jobs.run_retrain_decision("r4", block=True, uri=warehouse_uri)
    assert blocked["blocked_by"].startswith("blocked by the run's block_retrain")
    assert jobs.run_retrain_decision("r4", force=True, uri=warehouse_uri)["accepted"]
    with psycopg.connect(warehouse_uri) as conn:
        logged = conn.execute(
            "SELECT run_id, accepted FROM ops.retrain_requests ORDER BY run_id"
        ).fetchall()
    assert logged == [("r3", True), ("r4", True)]


def test_stationary_mine_sends_no_drift_alert(dbt_features, warehouse_uri, mlflow_store):
    frame = mine(dbt_features, None)
    write_table(warehouse_uri, "features.cycle_features", frame)
    for k, hour in enumerate((6, 12, 18)):
        jobs.run_data_drift(f"s{k}", as_of_day(frame, 19, hour), warehouse_uri)
        decision = jobs.run_alerts(f"s{k}", {}, uri=warehouse_uri)
        assert decision["sent"] == [], decision
    with psycopg.connect(warehouse_uri) as conn:
        flagged = conn.execute(
            "SELECT count(*) FROM ops.drift_checks WHERE check_type = 'data_drift' AND drift"
        ).fetchone()[0]
    assert flagged == 0


def test_unchanged_mine_raises_no_prediction_drift_against_the_champion(
    dbt_features, warehouse_uri, mlflow_store, tmp_path
):
    from fuelopt.ml import training

    frame = mine(dbt_features, None)
    history = frame[frame["load_start"] < as_of_day(frame, 14, 6)]
    champion = training.gate_cycle(history, training.train_cycle_challenger(history))
    assert champion["promoted"]  # the real champion, its reference profile logged with it
    write_table(warehouse_uri, "features.cycle_features", frame)
    for k, (day, hour) in enumerate(((17, 6), (17, 12), (18, 18), (19, 12))):
        jobs.run_data_drift(f"p{k}", as_of_day(frame, day, hour), warehouse_uri)
        decision = jobs.run_alerts(f"p{k}", {}, uri=warehouse_uri)
        assert decision["sent"] == [], decision
    with psycopg.connect(warehouse_uri) as conn:
        checks = [r for k in range(4) for r in read_checks(conn, f"p{k}")]
    predictions = [r for r in checks if r.check_type == "prediction_drift"]
    assert len(predictions) == 4 and all(r.value is not None for r in predictions)
    assert [(r.check_type, r.column_name, r.value) for r in checks if r.drift] == []
    assert all(r.details["calibrated"] for r in predictions)


def test_no_first_model_is_asked_for_before_there_are_features_to_train_on(
    dbt_features, warehouse_uri, mlflow_store
):
    """A scheduled monitoring run may come before the first transform: no champion, but nothing
    to train on either, so no request (it would fail and trip the circuit breaker)."""
    ml = get_settings().ml
    first = jobs.run_retrain_decision("early", uri=warehouse_uri)
    assert not first["accepted"] and not first["reason"]

    frame = mine(dbt_features, None)
    write_table(warehouse_uri, f"features.{ml.feature_tables['cycles']}", frame)
    write_table(
        warehouse_uri,
        f"features.{ml.feature_tables['daily']}",
        pd.DataFrame({"date": pd.date_range("2026-01-01", periods=3).date, "fuel_l": 1.0}),
    )
    later = jobs.run_retrain_decision("after-transform", uri=warehouse_uri)
    assert later["accepted"] and later["reason"] == "no champion cycle model yet"
