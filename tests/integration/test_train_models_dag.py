"""train_models end to end with ``dag.test()``: a real warehouse database (feature tables written
from what dbt builds from the shared small mines, tests/support/features.py), a migrated Airflow
metadata database, MLflow on tmp_path."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
import pytest

from fuelopt.assets import CHAMPION_MODEL
from fuelopt.config import get_settings
from tests.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def ml_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("FUELOPT__ML__CYCLE__NUM_BOOST_ROUND", "60")
    monkeypatch.setenv("FUELOPT__ML__DEMAND__NUM_BOOST_ROUND", "30")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _write(uri: str, table: str, frame: pd.DataFrame) -> None:
    from sqlalchemy import create_engine

    schema, name = table.split(".")
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        frame.to_sql(name, engine, schema=schema, index=False, if_exists="replace")
    finally:
        engine.dispose()


def _champion_events() -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == CHAMPION_MODEL.uri)
        )


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_train_models_dag_end_to_end(airflow_home, warehouse_uri, ml_env, dbt_features):
    from airflow.dag_processing.dagbag import DagBag

    from fuelopt.ml import registry, training

    daily = dbt_features("demand").daily
    _write(warehouse_uri, "features.cycle_features", dbt_features("cycles").cycles)
    _write(warehouse_uri, "features.daily_site_features", daily)

    bag = DagBag(dag_folder=str(ROOT / "dags" / "train_models.py"))
    assert not bag.import_errors
    dag = bag.dags["train_models"]
    events_before = _champion_events()  # the session's Airflow home is shared with other tests
    first = dag.test(logical_date=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    assert str(first.state) == "success", _states(first)
    assert set(_states(first).values()) == {"success"}, _states(first)
    assert _champion_events() == events_before + 1

    ml = get_settings().ml
    assert registry.alias_version(ml.cycle_model_name, "champion") == "1"
    assert registry.alias_version(ml.demand_model_name, "champion") == "1"
    with psycopg.connect(warehouse_uri) as conn:
        rows = conn.execute(
            "SELECT horizon_days, target_date, lo95, lo80, pred, hi80, hi95, model_version "
            "FROM ops.predictions WHERE run_id = %s ORDER BY horizon_days",
            (first.run_id,),
        ).fetchall()
    assert [r[0] for r in rows] == [7, 15, 30]
    last = max(daily["date"]).date()
    assert [r[1] for r in rows] == [last + dt.timedelta(days=h) for h in (7, 15, 30)]
    assert all(r[2] <= r[3] <= r[4] <= r[5] <= r[6] for r in rows)

    # Issuing again for the same run replaces its rows instead of duplicating them.
    daily = training.load_daily(warehouse_uri)
    issued_at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    training.issue_forecasts(daily, issued_at, first.run_id, warehouse_uri)
    training.issue_forecasts(daily, issued_at, first.run_id, warehouse_uri)
    with psycopg.connect(warehouse_uri) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM ops.predictions WHERE run_id = %s", (first.run_id,)
        ).fetchone()
    assert count == 3

    # A second run on the same data: the identical challenger is not better by the margin, so
    # the champion stays, the version is tagged rejected and no champion Asset is emitted.
    second = dag.test(logical_date=dt.datetime(2026, 3, 9, tzinfo=dt.UTC))
    states = _states(second)
    assert str(second.state) == "success", states
    assert states["publish_champion"] == "skipped"
    assert _champion_events() == events_before + 1
    assert registry.alias_version(ml.cycle_model_name, "champion") == "1"
    assert registry.version_tags(ml.cycle_model_name, "2")["validation_status"] == "rejected"


def test_a_day_the_data_has_not_completed_is_neither_target_nor_origin(
    warehouse_uri, ml_env, dbt_features
):
    from fuelopt.ml import training

    daily = dbt_features("demand").daily.assign(date=lambda f: f["date"].dt.date)
    last = max(daily["date"])
    partial = daily[daily["date"] == last].assign(
        date=last + dt.timedelta(days=1), fuel_l=lambda f: f["fuel_l"] / 4
    )
    _write(warehouse_uri, "features.daily_site_features", pd.concat([daily, partial]))
    data_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC)
    newest = {
        until: pd.Timestamp(max(training.load_daily(warehouse_uri, until=until)["date"])).date()
        for until in (None, data_end)
    }
    assert newest == {None: last + dt.timedelta(days=1), data_end: last}
