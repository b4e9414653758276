"""Numeric cycle features floored to their configured step before the model sees them."""

import pandas as pd

from fuelopt.config import get_settings
from fuelopt.ml.cycle_model import make_meta
from fuelopt.ml.cycle_pyfunc import engineer


def _cycles(hours: list[float]) -> pd.DataFrame:
    n = len(hours)
    return pd.DataFrame(
        {
            "payload_t": [220.0] * n,
            "loaded_distance_km": [3.0] * n,
            "empty_distance_km": [3.0] * n,
            "rise_m": [60.0] * n,
            "fall_m": [5.0] * n,
            "queue_min": [2.0] * n,
            "avg_speed_kmh": [22.0] * n,
            "truck_engine_hours": hours,
            "truck_model": ["CAT 793F"] * n,
            "road_condition": ["good"] * n,
        }
    )


def test_engine_hours_reach_the_model_floored_to_their_step():
    cfg = get_settings().ml.cycle
    assert cfg.feature_steps == {"truck_engine_hours": 1000}
    frame = _cycles([12_001.5, 12_999.9, 13_000.0, float("nan")])
    matrix = engineer(frame, make_meta(frame, cfg))
    hours = matrix["truck_engine_hours"].tolist()
    assert hours[:3] == [12_000.0, 12_000.0, 13_000.0]
    assert pd.isna(hours[3])
    assert matrix.iloc[0].equals(matrix.iloc[1])


def test_a_model_trained_without_steps_sees_the_raw_hours():
    cfg = get_settings().ml.cycle.model_copy(update={"feature_steps": {}})
    frame = _cycles([12_001.5, 12_999.9])
    matrix = engineer(frame, make_meta(frame, cfg))
    assert matrix["truck_engine_hours"].tolist() == [12_001.5, 12_999.9]
