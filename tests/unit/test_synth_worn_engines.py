"""Worn engines of the synthetic mine (synth.physics.worn_engine_*): the truck_excess truth."""

from __future__ import annotations

import numpy as np
import pytest

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec
from fuelopt.synth.generate import Mine
from fuelopt.synth.levers import lever_truth

SPEC = MineSpec(seed=4, days=2, trucks=8, shovels=2, dumps=2)


def _sound_settings():
    synth = get_settings().synth
    physics = synth.physics.model_copy(update={"worn_engine_share": 0.0})
    return synth.model_copy(update={"physics": physics})


def test_worn_trucks_burn_their_excess_and_change_nothing_else():
    cfg = get_settings().synth.physics
    worn_mine, sound_mine = Mine(SPEC), Mine(SPEC, _sound_settings())
    worn = np.flatnonzero(worn_mine.worn_excess)
    assert len(worn) == round(cfg.worn_engine_share * SPEC.trucks) > 0
    low, high = cfg.worn_engine_excess_range
    assert ((worn_mine.worn_excess[worn] >= low) & (worn_mine.worn_excess[worn] <= high)).all()
    assert not sound_mine.worn_excess.any()

    a, b = worn_mine.simulate_day(1).cycles, sound_mine.simulate_day(1).cycles
    assert a.drop(columns=["fuel_l", "fuel_l_expected"]).equals(
        b.drop(columns=["fuel_l", "fuel_l_expected"])
    )
    excess = dict(zip(worn_mine.truck_ids, worn_mine.worn_excess, strict=True))
    ratio = a["fuel_l_expected"] / b["fuel_l_expected"]
    assert ratio.tolist() == pytest.approx([1 + excess[t] for t in a["truck_id"]], rel=1e-3)


def test_truth_counts_the_worn_engines_litres_only():
    truth = lever_truth(Mine(SPEC))
    by_truck = truth["truck_excess_by_truck"]
    assert {t["truck_id"] for t in by_truck} == {
        t for t, x in zip(Mine(SPEC).truck_ids, Mine(SPEC).worn_excess, strict=True) if x > 0
    }
    assert truth["litres"]["truck_excess"] == pytest.approx(sum(t["litres"] for t in by_truck))
    assert all(t["litres"] > 0 for t in by_truck)
    assert lever_truth(Mine(SPEC, _sound_settings()))["litres"]["truck_excess"] == 0.0
