"""Operators of the synthetic mine (issue 18): haul_cycles.operator_id, the operator fuel factor
it stands for, and the operator lever's truth (truth.json levers.litres.operator)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date

import numpy as np
import pandas as pd
import pytest

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec, generate_operations
from fuelopt.synth.generate import Mine
from fuelopt.synth.ground_truth import truth
from fuelopt.synth.levers import lever_truth

SMALL = MineSpec(seed=11, days=2, trucks=4, shovels=2, dumps=2, start=date(2026, 3, 1))
SPEC = MineSpec(seed=18, days=8, trucks=8, shovels=2, dumps=2)
# sha256 of SMALL's haul_cycles without operator_id, as generated before the column existed:
# the operator id is derived, it draws nothing, so every other value stays what it was.
BEFORE_OPERATORS_SHA256 = "8aa2768591b2af933b6f29689f47132cc21a175f298d0206f39e004d86781d21"


def _equal_operators():
    synth = get_settings().synth
    physics = synth.physics.model_copy(update={"operator_sd_frac": 0.0})
    return synth.model_copy(update={"physics": physics})


def _crew(operator_id: pd.Series) -> np.ndarray:
    return operator_id.str.rsplit("-", n=1).str[-1].astype(int).to_numpy() - 1


def test_operator_ids_name_the_truck_and_its_rotating_crew():
    clean = dataclasses.replace(SMALL, clean=True)  # an unknown_truck defect renames a truck
    cycles = generate_operations(clean)["haul_cycles"]
    again = generate_operations(clean)["haul_cycles"]
    assert cycles["operator_id"].tolist() == again["operator_id"].tolist()
    crews = get_settings().synth.physics.operators_per_truck
    pattern = r"^OP-(T\d+)-([1-9]\d*)$"
    parts = cycles["operator_id"].str.extract(pattern)
    assert parts.notna().all().all(), cycles["operator_id"].unique()
    assert (parts[0] == cycles["truck_id"]).all()
    assert set(parts[1].astype(int)) <= set(range(1, crews + 1))
    # one operator per truck-shift; crew (2 x day + shift) mod crews, so it rotates every shift
    shift = cycles["cycle_id"].str.split("-").str[-1].str[0].map({"D": 0, "N": 1})
    stamp = pd.to_datetime(cycles["cycle_id"].str.split("-").str[1])
    day = (stamp - pd.Timestamp(SMALL.start)).dt.days
    expected = (2 * day + shift) % crews + 1
    assert (parts[1].astype(int) == expected).all()
    per_shift = cycles.groupby([cycles["truck_id"], day, shift])["operator_id"].nunique()
    assert (per_shift == 1).all()


def test_the_operator_column_changes_no_other_value():
    cycles = generate_operations(SMALL)["haul_cycles"].drop(columns=["operator_id"])
    digest = hashlib.sha256(cycles.to_csv(index=False).encode()).hexdigest()
    assert digest == BEFORE_OPERATORS_SHA256


def test_each_operator_burns_by_its_own_factor():
    """Against a mine whose operators are all equal (the same draws, sd 0), a cycle's noise-free
    litres differ by exactly its operator's factor, and by nothing else."""
    mine, equal = Mine(SMALL), Mine(SMALL, _equal_operators())
    assert not np.allclose(mine.operator_factor, 1.0) and np.allclose(equal.operator_factor, 1.0)
    assert np.array_equal(mine.engine_hours, equal.engine_hours)
    a, b = mine.simulate_day(1).cycles, equal.simulate_day(1).cycles
    same = ["fuel_l", "fuel_l_expected"]
    assert a.drop(columns=same).equals(b.drop(columns=same))
    truck = pd.Series(np.arange(len(mine.truck_ids)), index=mine.truck_ids)
    factor = mine.operator_factor[a["truck_id"].map(truck), _crew(a["operator_id"])]
    ratio = a["fuel_l_expected"] / b["fuel_l_expected"]
    assert ratio.to_numpy() == pytest.approx(factor, rel=1e-3)


def test_truth_holds_the_operator_lever():
    fuel = get_settings().quality.fuel
    levers = lever_truth(Mine(SPEC))
    litres = levers["litres"]["operator"]
    by_operator = levers["operator_by_operator"]
    assert litres > 0 and litres == pytest.approx(sum(by_operator.values()))
    # efficiency: the operator's factor over its truck's crews' (litres-weighted) mean; the
    # benchmark is near the configured percentile of factor / the crews' plain mean (all of
    # them drive well over operator_min_cycles cycles in 8 days)
    mine = Mine(SPEC)
    relative = mine.operator_factor / mine.operator_factor.mean(axis=1, keepdims=True)
    benchmark = np.percentile(relative, fuel.operator_benchmark_pct)
    assert levers["operator_benchmark_efficiency"] == pytest.approx(benchmark, abs=0.005)
    # on each truck the operators who save are its heaviest crews, and only they
    for i, truck in enumerate(mine.truck_ids):
        crews = [f"OP-{truck}-{c + 1}" for c in np.argsort(-mine.operator_factor[i])]
        saving = [c for c in crews if c in by_operator]
        assert saving == crews[: len(saving)], (truck, saving, crews)
    assert all(v > 0 for v in by_operator.values())
    assert 0 < len(by_operator) < relative.size


def test_no_operator_saving_when_operators_are_equal_or_trucks_differ():
    """All operators equal: nothing to gain. Crews equal within each truck but trucks apart:
    that is the truck's level (engine, wear), removed, so nothing either."""
    assert lever_truth(Mine(SPEC, _equal_operators()))["litres"]["operator"] == 0.0
    by_truck = Mine(SPEC)
    first_crew = by_truck.operator_factor[:, :1]
    by_truck.operator_factor = np.repeat(first_crew, by_truck.operator_factor.shape[1], axis=1)
    assert np.ptp(by_truck.operator_factor[:, 0]) > 0.05
    assert lever_truth(by_truck)["litres"]["operator"] == pytest.approx(0.0, abs=1e-6)


def test_truth_json_carries_the_operator_lever():
    content = truth(SMALL)
    assert "operator" in content["levers"]["litres"]
    assert content["levers"]["operator_benchmark_pct"] == (
        get_settings().quality.fuel.operator_benchmark_pct
    )
