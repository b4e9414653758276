"""`fuelopt synth replay` and `fuelopt synth scenario`: a plan run in the synthetic mine."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from fuelopt.cli import main
from fuelopt.config import get_settings
from fuelopt.optimize.scenario import parse_scenario
from fuelopt.synth import MineSpec
from fuelopt.synth.generate import SHIFTS, Mine
from fuelopt.synth.replay import own_dispatch, replay

MINES = [(1, 12, 4, 2), (3, 9, 3, 2)]  # seed, trucks, shovels, dumps
MINE_ARGS = ["--seed", "1", "--days", "16", "--trucks", "12", "--shovels", "4", "--dumps", "2",
             "--start", "2026-01-01"]  # fmt: skip


def _history(mine: Mine, day: int, shift: str) -> pd.DataFrame:
    cycles = mine.simulate_day(day).cycles
    start = pd.Timestamp(mine.spec.start).tz_localize("UTC") + pd.Timedelta(
        days=day, hours=mine.cfg.operations.shift_start_hour + 12 * SHIFTS.index(shift)
    )
    return cycles[(cycles["load_start"] >= start) & (cycles["load_start"] < start + timedelta(0.5))]


@pytest.mark.parametrize(("seed", "trucks", "shovels", "dumps"), MINES)
def test_own_dispatch_reproduces_history(seed, trucks, shovels, dumps):
    mine = Mine(MineSpec(seed=seed, days=8, trucks=trucks, shovels=shovels, dumps=dumps))
    tol = mine.cfg.replay.history_tolerance_frac
    errors = []
    for day in (2, 5, 7):
        for shift in SHIFTS:
            hist = _history(mine, day, shift)
            out = replay(mine, day, shift, own_dispatch(mine, day, shift))
            litres_err = out["litres"] / hist["fuel_l_expected"].sum() - 1.0
            tonnes_err = out["tonnes"] / hist["payload_t"].sum() - 1.0
            assert abs(litres_err) < tol and abs(tonnes_err) < tol, (day, shift)
            errors.append(tonnes_err)
            # Same draws as the history: a truck's first load is the history's first load.
            first = hist.sort_values("load_start").groupby("truck_id")["payload_t"].first()
            got = {r["truck"]: r for r in out["trucks"]}
            for truck, payload in first.items():
                assert got[truck]["cycles"] > 0
                assert got[truck]["tonnes"] >= payload
    assert abs(float(np.median(errors))) < tol / 2


def test_queue_grows_with_trucks_at_a_shovel():
    mine = Mine(MineSpec(seed=1, days=4, trucks=12, shovels=4, dumps=2))
    spread = own_dispatch(mine, 2, "day")
    crowded = {"assignments": [{**r, "shovel": "S1"} for r in spread["assignments"]]}
    a, b = replay(mine, 2, "day", spread), replay(mine, 2, "day", crowded)
    assert b["queue_min"] / b["cycles"] > 3 * a["queue_min"] / a["cycles"]
    assert b["tonnes"] < a["tonnes"]
    # A shovel loads one truck at a time: its loads fit in the shift.
    assert b["cycles"] * mine.cfg.physics.load_min_mean * 0.8 < 720


def test_planned_cycles_cap_the_replay():
    mine = Mine(MineSpec(seed=1, days=4, trucks=12, shovels=4, dumps=2))
    plan = own_dispatch(mine, 1, "night")
    for row in plan["assignments"]:
        row["cycles"] = 3
    out = replay(mine, 1, "night", plan)
    assert all(r["cycles"] in (0, 3) for r in out["trucks"])  # 0: the truck is down
    assert out["cycles"] == sum(r["cycles"] for r in out["trucks"])
    assert out["litres_per_t"] == pytest.approx(out["litres"] / out["tonnes"], rel=1e-4)


def test_scenario_optimize_replay_cli(tmp_path, capsys):
    scenario, plan, out = tmp_path / "s.json", tmp_path / "p.json", tmp_path / "r.json"
    shift = ["--shift-date", "2026-01-15", "--shift", "night"]
    assert main(["synth", "scenario", *MINE_ARGS, *shift, "--out", str(scenario)]) == 0
    doc = json.loads(scenario.read_text())
    parsed = parse_scenario(doc)
    assert (doc["shift_date"], doc["shift"], doc["fuel_source"]) == (
        "2026-01-15",
        "night",
        "physics",
    )
    assert {s.id for s in parsed.shovels} == {"S1", "S2", "S3", "S4"}
    assert doc["history"]["cycles"] > 0
    assert main(["optimize", "--scenario", str(scenario), "--out", str(plan)]) == 0
    capsys.readouterr()
    assert (
        main(["synth", "replay", *MINE_ARGS, *shift, "--plan", str(plan), "--out", str(out)]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    result = json.loads(out.read_text())
    assert printed["litres"] == result["litres"] > 0
    planned = json.loads(plan.read_text())["assignments"]
    assert [(r["truck"], r["shovel"], r["dump"]) for r in result["trucks"]] == [
        (r["truck"], r["shovel"], r["dump"]) for r in planned
    ]
    for row in result["trucks"]:
        assert set(row) >= {"truck", "shovel", "dump", "cycles", "tonnes", "litres", "queue_min"}
    assert sum(r["tonnes"] for r in result["trucks"]) == pytest.approx(result["tonnes"], abs=1)


def test_scenario_is_the_dags(tmp_path):
    """The mine's scenario goes through build_scenario: same routes and targets as its history."""
    from fuelopt.synth.replay import shift_scenario

    mine = Mine(MineSpec(seed=3, days=10, trucks=9, shovels=3, dumps=2))
    doc = shift_scenario(mine, mine.spec.start + timedelta(days=9), "day", get_settings().optimize)
    plan = mine.simulate_day(9).plan
    targets = plan[plan["shift"] == "day"].set_index("shovel_id")["target_t"]
    assert {s["id"]: s["target_t"] for s in doc["shovels"]} == targets.to_dict()
    assert {t["id"] for t in doc["trucks"]} <= set(mine.truck_ids)
    assert all(set(r["cycle_h"]) <= {"CAT 793F", "Komatsu 930E"} for r in doc["routes"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--shift-date", "2027-01-01", "--shift", "day"], "--shift-date"),
        (["--shift-date", "2026-01-02", "--shift", "evening"], "--shift"),
        (["--shift-date", "2026-01-02", "--shift", "day"], "--plan"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, extra, message):
    code = main(["synth", "replay", *MINE_ARGS, *extra, "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and "\n" not in err


def test_unknown_truck_in_plan(tmp_path, capsys):
    plan = tmp_path / "p.json"
    plan.write_text(json.dumps({"assignments": [
        {"truck": "T99", "shovel": "S1", "dump": "D1", "cycles": 3}]}))  # fmt: skip
    code = main(["synth", "replay", *MINE_ARGS, "--shift-date", "2026-01-02", "--shift", "day",
                 "--plan", str(plan), "--out", str(tmp_path / "r.json")])  # fmt: skip
    assert code == 2 and "T99" in capsys.readouterr().err
