"""The plan validator catches every kind of hand-broken plan."""

from __future__ import annotations

import copy

import pytest

from fuelopt.config import get_settings
from fuelopt.optimize.plan import optimize
from fuelopt.optimize.scenario import parse_scenario
from fuelopt.optimize.validate import InvalidPlan, check_plan, plan_violations
from tests.unit.test_optimize_solver import TWO_SHOVELS


@pytest.fixture(scope="module")
def solved():
    scenario = parse_scenario(TWO_SHOVELS)
    return scenario, optimize(scenario, get_settings().optimize.solver)


def _fix_objective(scenario, plan):
    routes = {(r.shovel, r.dump): r for r in scenario.routes}
    models = {t.id: t.model for t in scenario.trucks}
    plan["objective_fuel_l"] = sum(
        a["cycles"] * routes[a["shovel"], a["dump"]].fuel_l_per_cycle.get(models[a["truck"]], 0)
        for a in plan["assignments"]
        if (a["shovel"], a["dump"]) in routes
    )


def _break(solved, edit, fix_objective=True):
    scenario, plan = solved
    plan = copy.deepcopy(plan)
    edit(plan)
    if fix_objective:
        _fix_objective(scenario, plan)
    return plan_violations(scenario, plan)


def _row(plan, truck):
    return next(a for a in plan["assignments"] if a["truck"] == truck)


def test_solved_plan_is_valid(solved):
    scenario, plan = solved
    assert plan_violations(scenario, plan) == []
    check_plan(scenario, plan)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda p: _row(p, "T1").update(cycles=11), "truck T1"),  # 11 h > 10 h (and loads)
        (lambda p: _row(p, "T1").update(cycles=4), "shovel S1: 400.0 t < target"),
        (lambda p: _row(p, "T2").update(cycles=2.5), "non-negative integer"),
        (lambda p: _row(p, "T2").update(shovel="S9"), "unknown shovel S9"),
        (lambda p: _row(p, "T2").update(dump="D2", shovel="S2"), "no route S2->D2"),
        (
            lambda p: p["assignments"].append(
                {"truck": "T2", "shovel": "S1", "dump": "D1", "cycles": 1}
            ),
            "one shovel a shift",
        ),
        (
            lambda p: p["assignments"].append(
                {"truck": "T2", "shovel": "S1", "dump": "D2", "cycles": 1}
            ),
            "cannot use route S1->D2",
        ),
        (lambda p: p.update(status="great"), "status"),
    ],
)
def test_hand_broken_plans_are_caught(solved, edit, expected):
    errors = _break(solved, edit)
    assert any(expected in e for e in errors), errors


def test_loading_capacity_and_dump_capacity(solved):
    _, plan = solved
    doc = copy.deepcopy(TWO_SHOVELS)
    doc["shovels"][0]["max_loads_per_h"] = 0.4
    doc["dumps"][0]["capacity_t"] = 700
    errors = plan_violations(parse_scenario(doc), plan)
    assert any("shovel S1: 5 loads > 4" in e for e in errors), errors
    assert any("dump D1: 800.0 t > capacity 700" in e for e in errors), errors


def test_unaccepted_model_and_wrong_objective(solved):
    scenario, plan = solved
    doc = copy.deepcopy(TWO_SHOVELS)
    doc["shovels"][1]["truck_models"] = ["A"]
    errors = plan_violations(parse_scenario(doc), plan)
    assert any("does not accept model B" in e for e in errors), errors
    errors = _break(solved, lambda p: p.update(objective_fuel_l=1.0), fix_objective=False)
    assert any("objective_fuel_l" in e for e in errors), errors
    with pytest.raises(InvalidPlan):
        check_plan(scenario, {**plan, "objective_fuel_l": 1.0})


def test_infeasible_plan_needs_reason_and_no_assignments(solved):
    scenario, _ = solved
    assert plan_violations(scenario, {"status": "infeasible", "assignments": []})
    assert (
        plan_violations(scenario, {"status": "infeasible", "assignments": [], "reason": "x"}) == []
    )
