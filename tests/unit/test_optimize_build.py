"""Scenario building from warehouse-shaped frames (synthetic mine) and the litres predictor."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from fuelopt.config import get_settings
from fuelopt.optimize.build import build_scenario, next_shift, shift_of
from fuelopt.optimize.fuel import Predictor, load_predictor, physics_litres
from fuelopt.optimize.plan import optimize
from fuelopt.optimize.scenario import parse_scenario
from fuelopt.optimize.validate import plan_violations


@pytest.fixture(scope="module")
def mine():
    from fuelopt.synth import MineSpec, generate_operations

    ops = generate_operations(MineSpec(seed=7, days=3, trucks=8, shovels=3, dumps=2, clean=True))
    eq = ops["equipment"]
    cycles = ops["haul_cycles"].merge(
        eq[["equipment_id", "model", "engine_hours"]].rename(
            columns={
                "equipment_id": "truck_id",
                "model": "truck_model",
                "engine_hours": "truck_engine_hours",
            }
        ),
        on="truck_id",
    )
    return ops, eq, cycles


def _inputs(mine, shift):
    ops, eq, cycles = mine
    plan = ops["shift_plan"]
    targets = plan[(plan["shift_date"] == shift.shift_date) & (plan["shift"] == shift.shift)]
    return {
        "equipment": eq[eq["equipment_type"] == "truck"][["equipment_id", "model", "capacity_t"]],
        "targets": targets[["shovel_id", "target_t"]],
        "cycles": cycles[cycles["load_start"] < shift.start],
    }


def test_next_shift_follows_the_calendar():
    cfg = get_settings().optimize.shift  # day 06:00-18:00 UTC
    assert next_shift(datetime(2026, 1, 5, 2, 0, tzinfo=UTC), cfg) == shift_of(
        date(2026, 1, 5), "day", cfg
    )
    late = next_shift(datetime(2026, 1, 5, 19, 0, tzinfo=UTC), cfg)
    assert (late.shift_date, late.shift) == (date(2026, 1, 6), "day")
    evening = next_shift(datetime(2026, 1, 5, 12, 0, tzinfo=UTC), cfg)
    assert (evening.shift, evening.start.hour) == ("night", 18)


def test_scenario_from_history_is_valid_and_solvable(mine):
    cfg = get_settings().optimize
    shift = shift_of(date(2026, 1, 3), "night", cfg.shift)
    doc = build_scenario(
        _inputs(mine, shift), shift, cfg, Predictor("physics"), get_settings().physics
    )
    scenario = parse_scenario(doc)
    _, eq, cycles = mine
    assert {t.id for t in scenario.trucks} == set(
        eq.loc[eq.equipment_type == "truck", "equipment_id"]
    )
    assert {s.id for s in scenario.shovels} == {"S1", "S2", "S3"}
    assert doc["fuel_source"] == "physics" and doc["shift"] == "night"
    for truck in scenario.trucks:  # hours worked in recent shifts, within the shift
        assert 8.0 < truck.available_h <= cfg.shift.shift_hours
    # Physics litres: the sensor's order of magnitude (docs/domain.md#haul-truck-fuel).
    seen = cycles.groupby(["shovel_id", "dump_id", "truck_model"])["fuel_l"].median()
    for route in scenario.routes:
        for model, litres in route.fuel_l_per_cycle.items():
            actual = seen[route.shovel, route.dump, model]
            assert 0.6 * actual < litres < 1.6 * actual
            assert 0.2 < route.cycle_h[model] < 1.0
    plan = optimize(scenario, cfg.solver)
    assert plan["status"] in ("optimal", "feasible")
    assert plan_violations(scenario, plan) == []


def test_missing_shift_plan_is_reported(mine):
    cfg = get_settings().optimize
    shift = shift_of(date(2026, 2, 1), "day", cfg.shift)
    with pytest.raises(ValueError, match="no shift plan rows for 2026-02-01_day"):
        build_scenario(
            _inputs(mine, shift), shift, cfg, Predictor("physics"), get_settings().physics
        )


def test_physics_litres_grow_with_climb_and_payload():
    cfg = get_settings().physics
    frame = pd.DataFrame(
        {
            "payload_t": [220.0, 220.0, 0.0],
            "capacity_t": [227.0] * 3,
            "loaded_distance_km": [5.0] * 3,
            "empty_distance_km": [5.0] * 3,
            "rise_m": [100.0, 200.0, 100.0],
            "fall_m": [10.0] * 3,
            "queue_min": [1.0] * 3,
        }
    )
    litres = physics_litres(frame, cfg)
    assert litres[1] > litres[0] > litres[2] > 0
    assert 60 < litres[0] < 200  # a 5 km, 100 m haul of a 793F: about 100 L


class _PerTonne:
    """A registered pyfunc standing in for a trained champion: 0.5 L per payload tonne."""

    def predict(self, context, model_input, params=None):
        return np.asarray(model_input["payload_t"], dtype=float) * 0.5


def test_champion_model_is_used_when_registered(tmp_path, monkeypatch):
    import mlflow
    from mlflow.pyfunc import PythonModel

    from fuelopt.ml.registry import client, setup_experiment

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert load_predictor().source == "physics"  # empty registry

    name = get_settings().ml.cycle_model_name
    setup_experiment()
    model = type("PerTonne", (PythonModel,), {"predict": _PerTonne.predict})()
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="model", python_model=model, registered_model_name=name)
    client().set_registered_model_alias(name, "champion", str(info.registered_model_version))
    predictor = load_predictor()
    assert predictor.source == f"champion {name} v{info.registered_model_version}"
    frame = pd.DataFrame({"payload_t": [200.0, 100.0]})
    assert list(predictor.predict(frame, get_settings().physics)) == [100.0, 50.0]
