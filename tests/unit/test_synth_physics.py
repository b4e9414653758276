"""Physics sanity: fuel grows with payload, grade and rolling resistance."""

from __future__ import annotations

from datetime import date

import numpy as np

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec, generate_operations
from fuelopt.synth.physics import PHASES, cycle_phases, phase_litres, travel
from fuelopt.synth.truck_models import TRUCK_MODELS

P = get_settings().synth.physics
SFC = P.specific_consumption_l_per_kwh
CAT = TRUCK_MODELS["CAT 793F"]


def _cycle_litres(**over) -> float:
    args = dict(
        rated_kw=np.array(CAT.rated_kw), empty_t=CAT.empty_t, payload_t=220.0, loaded_km=4.0,
        empty_km=4.0, rise_m=120.0, fall_m=10.0, rr=0.03, queue_min=2.0, load_min=3.0,
        dump_min=1.2,
    )  # fmt: skip
    args.update(over)
    return float(phase_litres(cycle_phases(**args, p=P), SFC, np.array(1.0)).sum())


def test_fuel_grows_with_payload_grade_and_rolling_resistance():
    assert _cycle_litres(payload_t=240.0) > _cycle_litres(payload_t=200.0)
    assert _cycle_litres(rise_m=200.0) > _cycle_litres(rise_m=60.0)
    assert _cycle_litres(rr=0.04) > _cycle_litres(rr=0.02)


def test_loaded_uphill_burns_more_than_empty_downhill():
    kw = np.array(CAT.rated_kw)
    up = travel(CAT.empty_t + 220.0, 1.0, P.ramp_grade, 0.03, P.max_speed_loaded_kmh, kw, P)
    down = travel(CAT.empty_t, 1.0, -P.ramp_grade, 0.03, P.max_speed_empty_kmh, kw, P)
    litres_up = SFC * up[1] * up[2] / 60.0
    litres_down = SFC * down[1] * down[2] / 60.0
    assert litres_up > 5 * litres_down
    assert up[0] < down[0]  # slower loaded uphill
    assert up[1] <= CAT.rated_kw + 1e-9  # never above rated power


def test_cycle_figures_are_plausible():
    ph = cycle_phases(
        rated_kw=np.array(CAT.rated_kw), empty_t=CAT.empty_t, payload_t=220.0, loaded_km=4.0,
        empty_km=4.0, rise_m=120.0, fall_m=10.0, rr=0.03, queue_min=2.0, load_min=3.0,
        dump_min=1.2, p=P,
    )  # fmt: skip
    loaded_up = PHASES.index("loaded_up")
    assert 8.0 < ph.speed_kmh[loaded_up] < 16.0  # a 793F climbs an 8 % ramp at about 12 km/h
    litres = _cycle_litres()
    assert 50.0 < litres < 200.0
    per_hour = litres / (ph.minutes.sum() / 60.0)
    assert 0.25 * SFC * CAT.rated_kw < per_hour < 0.9 * SFC * CAT.rated_kw


def test_generated_fuel_follows_payload_and_road():
    spec = MineSpec(
        seed=3, days=4, trucks=6, shovels=2, dumps=2, start=date(2026, 1, 1), clean=True
    )
    cycles = generate_operations(spec, include_truth=True)["haul_cycles"]
    cat = cycles[cycles["truck_model"] == "CAT 793F"]
    x = np.column_stack(
        [
            np.ones(len(cat)),
            cat["payload_t"],
            cat["loaded_distance_km"] + cat["empty_distance_km"],
            cat["rise_m"],
            cat["queue_min"],
        ]
    )
    coef = np.linalg.lstsq(x, cat["fuel_l"].to_numpy(), rcond=None)[0]
    assert coef[1] > 0 and coef[2] > 0 and coef[3] > 0 and coef[4] > 0
    noise = cycles["fuel_l"] / cycles["fuel_l_expected"] - 1.0
    sd = get_settings().synth.noise.cycle_fuel_sd_frac
    assert abs(noise.std() - sd) < 0.25 * sd
