"""`fuelopt optimize` / `validate-plan` command line: exit codes, messages, plan files."""

from __future__ import annotations

import copy
import json

import pytest

from fuelopt.cli import main
from fuelopt.config import get_settings
from tests.unit.test_optimize_solver import TWO_SHOVELS

CONTRACT_EXAMPLE = {
    "shift_hours": 12,
    "trucks": [{"id": "T01", "model": "CAT 793F", "payload_t": 220, "available_h": 11.0}],
    "shovels": [
        {"id": "S1", "target_t": 4400, "max_loads_per_h": 14, "truck_models": ["CAT 793F"]}
    ],
    "dumps": [{"id": "D1", "capacity_t": 60000}],
    "routes": [
        {
            "shovel": "S1",
            "dump": "D1",
            "cycle_h": {"CAT 793F": 0.55},
            "fuel_l_per_cycle": {"CAT 793F": 118.0},
        }
    ],
}


def _run(tmp_path, doc, *extra):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    out = tmp_path / "plan.json"
    code = main(["optimize", "--scenario", str(scenario), "--out", str(out), *extra])
    return code, out


def test_contract_example_is_solved_and_written(tmp_path, capsys):
    code, out = _run(tmp_path, CONTRACT_EXAMPLE, "--time-limit", "5")
    assert code == 0
    plan = json.loads(out.read_text())
    for key in (
        "status",
        "objective_fuel_l",
        "assignments",
        "baseline_fuel_l",
        "saving_pct",
        "gap_pct",
        "solve_seconds",
    ):
        assert key in plan
    assert plan["status"] == "optimal"
    assert plan["assignments"] == [
        {
            "truck": "T01",
            "shovel": "S1",
            "dump": "D1",
            "cycles": 20,
            "fuel_l": 2360.0,
            "hours": 11.0,
            "tonnes": 4400.0,
        }
    ]
    assert plan["objective_fuel_l"] == pytest.approx(2360.0)
    assert plan["solver"]["time_limit_seconds"] == 5
    prices = get_settings().reports
    assert plan["saving_l"] == pytest.approx(plan["baseline_fuel_l"] - 2360.0)
    assert plan["cost"]["currency"] == prices.currency
    assert plan["cost"]["plan_cost"] == pytest.approx(2360.0 * prices.diesel_price_per_l)
    assert plan["cost"]["plan_co2_kg"] == pytest.approx(2360.0 * prices.co2_kg_per_l)
    assert plan["cost"]["saving_cost"] == pytest.approx(
        plan["saving_l"] * prices.diesel_price_per_l, abs=1e-3
    )
    assert (
        main(["validate-plan", "--scenario", str(tmp_path / "scenario.json"), "--plan", str(out)])
        == 0
    )


def test_infeasible_writes_plan_with_reason_and_exits_2(tmp_path, capsys):
    doc = copy.deepcopy(CONTRACT_EXAMPLE)
    doc["shovels"][0]["target_t"] = 30000
    code, out = _run(tmp_path, doc)
    assert code == 2
    plan = json.loads(out.read_text())
    assert plan["status"] == "infeasible"
    assert "S1 short by 25600 t" in plan["reason"]
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "S1" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["trucks"][0].update(available_h=-1), ["available_h", "T1"]),
        (lambda d: d["trucks"][0].pop("payload_t"), ["payload_t", "T1"]),
        (lambda d: d["routes"][0].update(shovel="S9"), ["shovel", "S9"]),
        (lambda d: d["routes"][0].update(dump="D7"), ["dump", "D7"]),
        (lambda d: d["shovels"][1].update(target_t="lots"), ["target_t", "S2"]),
        (lambda d: d["shovels"][0].update(truck_models="A"), ["truck_models", "S1"]),
        (lambda d: d["trucks"][1].update(model="Z"), ["model Z", "route"]),
        (lambda d: d["trucks"][1].update(id="T1"), ["duplicate", "T1"]),
        (lambda d: d["routes"][1]["cycle_h"].update(A=0), ["cycle_h", "S1->D2"]),
        (lambda d: d.pop("dumps"), ["dumps"]),
        (lambda d: d.update(shift_hours=None), ["shift_hours"]),
    ],
)
def test_bad_scenario_exits_2_naming_field_and_id(tmp_path, capsys, edit, expected):
    doc = copy.deepcopy(TWO_SHOVELS)
    edit(doc)
    code, out = _run(tmp_path, doc)
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for word in expected:
        assert word in err


def test_not_json_exits_2(tmp_path, capsys):
    code, _ = _run(tmp_path, '{"shift_hours": 12, "trucks": [')
    assert code == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_bad_time_limit_exits_2(tmp_path, capsys):
    code, _ = _run(tmp_path, CONTRACT_EXAMPLE, "--time-limit", "0")
    assert code == 2
    assert "--time-limit" in capsys.readouterr().err


def test_validate_plan_rejects_a_hand_broken_plan(tmp_path, capsys):
    code, out = _run(tmp_path, CONTRACT_EXAMPLE)
    assert code == 0
    plan = json.loads(out.read_text())
    plan["assignments"][0]["cycles"] = 21  # 11.55 h > 11 h
    plan["objective_fuel_l"] = 21 * 118.0
    out.write_text(json.dumps(plan))
    assert (
        main(["validate-plan", "--scenario", str(tmp_path / "scenario.json"), "--plan", str(out)])
        == 2
    )
    err = capsys.readouterr().err
    assert "truck T01" in err and "available" in err
