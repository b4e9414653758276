"""Drift scenarios change the data from their start day, and only from then."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fuelopt.config import get_settings
from fuelopt.errors import BadInput
from fuelopt.synth import MineSpec, generate_operations, iter_telemetry

BASE = {"seed": 9, "days": 6, "trucks": 6, "shovels": 2, "dumps": 2, "start": date(2026, 4, 1)}
CFG = get_settings().synth.scenarios


def _cycles(**over) -> pd.DataFrame:
    spec = MineSpec(**{**BASE, "clean": True, **over})
    return generate_operations(spec, include_truth=True)["haul_cycles"]


def _after(cycles: pd.DataFrame, day: int) -> pd.Series:
    start = pd.Timestamp(BASE["start"]).tz_localize("UTC") + pd.Timedelta(days=day, hours=6)
    return cycles["dump_end"] >= start


def test_no_scenario_same_as_baseline_before_start_day():
    base = _cycles()
    shifted = _cycles(scenario="payload_shift", scenario_start_day=3)
    before = ~_after(base, 3)
    pd.testing.assert_frame_equal(base[before], shifted[~_after(shifted, 3)])


def test_payload_shift_raises_payload_from_its_day():
    base, shifted = _cycles(), _cycles(scenario="payload_shift", scenario_start_day=3)
    ratio = (
        shifted.loc[_after(shifted, 3), "payload_t"].mean()
        / base.loc[_after(base, 3), "payload_t"].mean()
    )
    assert ratio == pytest.approx(1 + CFG.payload_shift_frac, abs=0.02)


def test_road_degradation_makes_roads_poorer_and_fuel_higher():
    base, worse = _cycles(), _cycles(scenario="road_degradation", scenario_start_day=2)
    b, w = base[_after(base, 2)], worse[_after(worse, 2)]
    assert (w["road_condition"] == "poor").mean() > (b["road_condition"] == "poor").mean()
    per_km = lambda c: (c["fuel_l"] / (c["loaded_distance_km"] + c["empty_distance_km"])).mean()  # noqa: E731
    assert per_km(w) > 1.05 * per_km(b)


def test_new_truck_model_replaces_part_of_the_fleet():
    spec = MineSpec(
        **{**BASE, "scenario": "new_truck_model", "scenario_start_day": 3, "clean": True}
    )
    ops = generate_operations(spec, include_truth=True)
    equipment = ops["equipment"]
    new = equipment[equipment["model"] == CFG.new_truck_model]
    assert len(new) >= 1
    assert (pd.to_datetime(new["commissioned_on"]).dt.date == date(2026, 4, 4)).all()
    cycles = ops["haul_cycles"]
    by_new = cycles[cycles["truck_id"].isin(new["equipment_id"])]
    assert len(by_new) > 0 and _after(by_new, 3).all()
    assert CFG.new_truck_model not in set(cycles.loc[~_after(cycles, 3), "truck_model"])
    tel = pd.concat(iter_telemetry(spec), ignore_index=True)
    active = tel.groupby("ts")["truck_id"].nunique()
    assert (active == BASE["trucks"]).all()  # retired trucks stop reporting, new ones start
    first_new = tel.loc[tel["truck_id"].isin(new["equipment_id"]), "ts"].min()
    assert first_new == pd.Timestamp("2026-04-04 06:00", tz="UTC")


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"scenario": "meteor"}, "scenario"),
        ({"scenario": "payload_shift"}, "scenario_start_day"),
        ({"scenario": "payload_shift", "scenario_start_day": 99}, "scenario_start_day"),
        ({"scenario_start_day": 1}, "scenario_start_day"),
        ({"days": 0}, "days"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_specs_are_refused(over, field):
    with pytest.raises(BadInput, match=field):
        MineSpec(**{**BASE, **over})
