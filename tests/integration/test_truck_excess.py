"""The truck_excess lever of marts.fct_fuel_savings: a champion cycle model trained by the
project scores a synthetic mine whose worn engines (synth.physics.worn_engine_*) burn more than
their work explains; the lever's litres are held against the mine's truth."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec
from fuelopt.synth.generate import Mine
from fuelopt.synth.levers import lever_truth
from fuelopt.transform.dbt_run import run_dbt
from fuelopt.warehouse.db import query_frame
from tests.support.marts import as_role
from tests.support.raw_data import MineData, load_mine_days

pytestmark = pytest.mark.integration

DAYS = 8
TOLERANCE = 0.15  # the bar: every lever within +-15 % of truth
SPEC = MineSpec(seed=18, days=DAYS, trucks=8, shovels=2, dumps=2)


def _train_healthy_champion(dbt_features, monkeypatch) -> str:
    """A champion trained on the features dbt builds from the same fleet with sound engines (the
    history before the wear): the model the project trains, from the cycle columns only (it
    never sees a truck id)."""
    from fuelopt.ml import registry, training

    monkeypatch.setenv("FUELOPT__SYNTH__PHYSICS__WORN_ENGINE_SHARE", "0")
    monkeypatch.setenv("FUELOPT__ML__CYCLE__TUNING__ENABLED", "false")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        healthy = MineSpec(seed=SPEC.seed, days=DAYS, trucks=8, shovels=2, dumps=2, clean=True)
        cycles = dbt_features(healthy).cycles
        version = str(training.train_cycle_challenger(cycles)["version"])
        registry.promote(settings.ml.cycle_model_name, version, "test: healthy fleet")
    finally:
        monkeypatch.delenv("FUELOPT__SYNTH__PHYSICS__WORN_ENGINE_SHARE")
        get_settings.cache_clear()
    return version


def _frame(uri: str, query: str) -> pd.DataFrame:
    with psycopg.connect(uri) as conn:
        return query_frame(conn, query)


def test_truck_excess_estimate_is_within_15_pct_of_truth(
    warehouse_uri, mlflow_store, dbt_features, tmp_path, monkeypatch
):
    from fuelopt.monitor import jobs

    mine = MineData.generate(SPEC)
    load_mine_days(warehouse_uri, mine, range(DAYS))
    run_dbt(["build"], uri=warehouse_uri, target_path=tmp_path / "target")
    truth = lever_truth(Mine(SPEC))
    worn = {t["truck_id"] for t in truth["truck_excess_by_truck"]}
    assert truth["litres"]["truck_excess"] > 0 and 0 < len(worn) < SPEC.trucks

    no_champion = jobs.run_cycle_scoring("before", pd.Timestamp.now(tz="UTC"), warehouse_uri)
    assert no_champion["scored"] == 0 and no_champion["version"] is None

    version = _train_healthy_champion(dbt_features, monkeypatch)
    end = _frame(warehouse_uri, "SELECT max(load_start) AS t FROM features.cycle_features")["t"][0]
    monkeypatch.setenv("FUELOPT__ML__CYCLE_SCORING__LOOKBACK_DAYS", str(DAYS + 1))
    get_settings.cache_clear()
    first = jobs.run_cycle_scoring("score-1", end.to_pydatetime(), warehouse_uri)
    good_cycles = _frame(warehouse_uri, "SELECT count(*) AS n FROM features.cycle_features")["n"][0]
    assert first == {"model": get_settings().ml.cycle_model_name, "version": version,
                     "scored": good_cycles}  # fmt: skip

    # a re-run scores nothing new and duplicates nothing
    assert jobs.run_cycle_scoring("score-2", end.to_pydatetime(), warehouse_uri)["scored"] == 0
    stored = _frame(
        warehouse_uri,
        "SELECT count(*) AS n, count(DISTINCT cycle_id) AS cycles FROM ops.cycle_predictions",
    )
    assert stored["n"][0] == stored["cycles"][0] == good_cycles

    # the mart is a view: the new predictions show without a dbt run; its tests pass on them
    lever = "FROM marts.fct_fuel_savings WHERE lever = 'truck_excess'"
    rows = _frame(warehouse_uri, f"SELECT * {lever}")
    estimate = float(rows["saving_l"].sum())
    assert estimate == pytest.approx(truth["litres"]["truck_excess"], rel=TOLERANCE), (
        estimate, truth["litres"]["truck_excess"],
    )  # fmt: skip
    threshold = get_settings().quality.fuel.truck_excess_threshold_pct
    assert (rows["excess_pct"] > threshold).all()
    # the flag falls on the worn trucks: each near its own truth, the sound ones next to nothing
    by_truck = rows.groupby("truck_id")["saving_l"].sum()
    for true in truth["truck_excess_by_truck"]:
        assert by_truck.get(true["truck_id"], 0.0) == pytest.approx(true["litres"], rel=0.25), (
            by_truck.to_dict(), truth["truck_excess_by_truck"],
        )  # fmt: skip
    assert by_truck.drop(list(worn), errors="ignore").sum() < 0.05 * estimate, by_truck.to_dict()
    run_dbt(
        ["test", "--select", "fct_fuel_savings stg_ops__cycle_predictions"],
        uri=warehouse_uri,
        target_path=tmp_path / "target",
    )

    # BI reads the lever as bi_reader; a scoring window before the mine scores nothing
    reader = as_role(warehouse_uri, get_settings().warehouse.roles.bi_reader)
    seen = _frame(reader, f"SELECT count(*) AS n {lever}")
    assert seen["n"][0] == len(rows) > 0
    early = end.to_pydatetime() - timedelta(days=2 * DAYS)
    assert jobs.run_cycle_scoring("early", early, warehouse_uri)["scored"] == 0
