"""One physics formula (fuelopt.haul_physics) for the optimiser's fallback and the cycle model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fuelopt import haul_physics
from fuelopt.config import get_settings
from fuelopt.ml.cycle_model import make_meta
from fuelopt.ml.cycle_pyfunc import engineer
from fuelopt.optimize.fuel import physics_litres


def _cycles() -> pd.DataFrame:
    """Cycle rows (docs/contracts.md §1) on every road condition, an unknown and a missing one."""
    roads = ["good", "fair", "poor", " Poor ", "flooded", None]
    n = len(roads)
    return pd.DataFrame(
        {
            "cycle_id": [f"c{i}" for i in range(n)],
            "payload_t": [220.0, 230.0, 210.0, 0.0, 225.0, 228.0],
            "loaded_distance_km": [5.0, 4.0, 6.0, 5.0, 3.5, 7.0],
            "empty_distance_km": [5.2, 4.1, 6.3, 5.0, 3.6, 7.2],
            "rise_m": [100.0, 150.0, 200.0, 100.0, 60.0, 220.0],
            "fall_m": [10.0, 0.0, 30.0, 10.0, 5.0, 20.0],
            "queue_min": [1.0, 2.5, 0.0, 3.0, 1.5, 2.0],
            "avg_speed_kmh": [22.0] * n,
            "truck_engine_hours": [10_000.0] * n,
            "truck_model": ["CAT 793F"] * n,
            "road_condition": roads,
            "fuel_l": [100.0] * n,
        }
    )


def test_optimizer_fallback_and_cycle_model_share_one_work_term():
    settings = get_settings()
    frame = _cycles()
    meta = make_meta(frame, settings.ml.cycle)
    assert meta["physics"] == settings.physics.model_dump()  # constants stored with the model
    matrix = engineer(frame, meta)
    # The optimiser's frame without a rated payload: the same nominal empty mass as the model.
    litres = physics_litres(frame, settings.physics)
    from_feature = haul_physics.litres(
        matrix["physics_work_mj"].to_numpy(float), frame, settings.physics.model_dump()
    )
    np.testing.assert_allclose(litres, from_feature, rtol=1e-12)
    rr = settings.physics.rolling_resistance
    fair = rr[settings.physics.default_road_condition]
    expected_rr = [rr["good"], rr["fair"], rr["poor"], rr["poor"], fair, fair]
    np.testing.assert_allclose(matrix["rolling_resistance"], expected_rr)
    # work = g (m_l (rise + rr loaded_m) + m_e (fall + rr empty_m)), by hand for the first row
    m_e = settings.physics.nominal_empty_mass_t
    m_l = m_e + 220.0
    by_hand = 9.81 * (m_l * (100.0 + 0.02 * 5000.0) + m_e * (10.0 + 0.02 * 5200.0)) / 1000.0
    assert abs(matrix["physics_work_mj"].iloc[0] - by_hand) < 1e-9


def test_optimizer_scales_the_empty_mass_with_the_rated_payload():
    physics = get_settings().physics
    frame = _cycles().assign(capacity_t=[227.0, 290.0, 136.0, 227.0, np.nan, 0.0])
    work = haul_physics.cycle_work(frame, physics.model_dump(), capacity="capacity_t")
    nominal = haul_physics.cycle_work(frame, physics.model_dump(), capacity=None)
    empty = haul_physics.empty_mass_t(frame, physics.model_dump(), "capacity_t")
    ratio = physics.empty_mass_ratio
    np.testing.assert_allclose(empty[:4], [ratio * 227, ratio * 290, ratio * 136, ratio * 227])
    assert list(empty[4:]) == [physics.nominal_empty_mass_t] * 2  # unknown capacity
    assert work.total_mj[1] > nominal.total_mj[1]  # a 930E is heavier than the nominal 793F
    np.testing.assert_allclose(
        physics_litres(frame, physics),
        haul_physics.litres(work.total_mj, frame, physics.model_dump()),
    )


def test_a_trained_model_keeps_its_constants_whatever_the_config_says():
    settings = get_settings()
    frame = _cycles()
    meta = make_meta(frame, settings.ml.cycle)
    changed = {**meta, "physics": {**meta["physics"], "rolling_resistance": {
        "good": 0.05, "fair": 0.06, "poor": 0.07}}}  # fmt: skip
    before = engineer(frame, meta)["rolling_work_mj"].to_numpy()
    after = engineer(frame, changed)["rolling_work_mj"].to_numpy()
    assert (after > before).all()
    assert engineer(frame, changed)["rolling_resistance"].iloc[2] == 0.07
