"""Queue-aware MILP: the optional scenario queue model (docs/contracts.md §4.1)."""

from __future__ import annotations

import itertools

import pytest

from fuelopt.config import get_settings
from fuelopt.errors import BadInput
from fuelopt.optimize import queueing
from fuelopt.optimize.plan import optimize
from fuelopt.optimize.scenario import parse_scenario

QUEUE = {"load_cv2": 0.3, "idle_l_per_h": 40.0, "max_trucks_per_shovel": 8}


def _doc(queue: bool) -> dict:
    route = {"cycle_h": {"M": 0.5}, "fuel_l_per_cycle": {"M": 100.0}}
    if queue:
        route = {**route, "queue_h": {"M": 0.02}}
    doc = {
        "shift_hours": 12,
        "trucks": [
            {"id": f"T{i}", "model": "M", "payload_t": 100.0, "available_h": 11.0} for i in range(8)
        ],
        "shovels": [
            {"id": "S1", "target_t": 8800.0, "max_loads_per_h": 12.0, "truck_models": ["M"]}
        ],
        "dumps": [{"id": "D1", "capacity_t": 1e6}],
        "routes": [{"shovel": "S1", "dump": "D1", **route}],
    }
    return {**doc, "queue": QUEUE} if queue else doc


def test_wait_grows_with_trucks_and_saturates():
    waits = queueing.mva_wait_h(load_h=5 / 60, think_h=25 / 60, cv2=0.3, trucks=20)
    assert waits[0] == waits[1] == 0.0
    assert all(b > a for a, b in itertools.pairwise(waits[1:]))
    # Saturated: the shovel loads all the time, so a truck's cycle lasts about m loads.
    assert waits[20] + 5 / 60 + 25 / 60 == pytest.approx(20 * 5 / 60, rel=0.05)


def test_milp_plans_for_the_queue_it_causes():
    solver = get_settings().optimize.solver
    aware = parse_scenario(_doc(True))
    plan = optimize(aware, solver)
    plain = optimize(parse_scenario(_doc(False)), solver)
    trucks = {r["truck"] for r in plan["assignments"]}
    assert len(trucks) > len({r["truck"] for r in plain["assignments"]})
    assert plan["queue_min"] > 0
    assert plan["predicted_fuel_l"] > plan["objective_fuel_l"]
    rows_min = sum(r["queue_min"] for r in plan["assignments"])
    assert rows_min == pytest.approx(plan["queue_min"], abs=0.01)
    cycles = {(int(r["truck"][1:]), 0): r["cycles"] for r in plan["assignments"]}
    assert queueing.fits(aware, cycles)
    plain_cycles = {(int(r["truck"][1:]), 0): r["cycles"] for r in plain["assignments"]}
    assert not queueing.fits(aware, plain_cycles)


def test_queue_object_is_validated():
    doc = _doc(True)
    doc["queue"] = {**QUEUE, "max_trucks_per_shovel": 0}
    with pytest.raises(BadInput, match="max_trucks_per_shovel"):
        parse_scenario(doc)
    doc["queue"] = {**QUEUE, "load_cv2": -1}
    with pytest.raises(BadInput, match="load_cv2"):
        parse_scenario(doc)
    assert parse_scenario(_doc(True)).to_dict()["queue"] == QUEUE
