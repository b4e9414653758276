"""The product's haul-truck physics: one formula for the optimiser's fallback and the cycle model.

Work of one haul cycle (docs/domain.md#haul-truck-fuel), in MJ, with g = 9.81 m/s², the loaded
mass m_l = empty + payload (t), the empty mass m_e (t), the road's rolling resistance RR
(:func:`rolling_resistance`, by ``road_condition``) and the cycle's columns of docs/contracts.md
§1 (``rise_m`` is the loaded haul's climb, ``fall_m`` its descent, climbed back empty):

    grade_mj        = g · m_l · rise_m / 1000
    empty_climb_mj  = g · m_e · fall_m / 1000
    rolling_mj      = g · RR · (m_l · loaded_distance_km + m_e · empty_distance_km)

and a first-principles estimate of litres (:func:`litres`): work over engine efficiency and the
energy content of diesel, plus idle burn while queuing, loading and dumping. The constants are
the ``physics`` section of include/config/fuelopt.yaml (:mod:`fuelopt.haul_physics_settings`),
passed here as a plain mapping, so this file needs numpy and pandas only: MLflow saves it with
the cycle model (``code_paths``), and a registered model keeps its own copy and constants.

These are the product's *estimates*. The synthetic mine (:mod:`fuelopt.synth.physics`, section
``synth.physics``) is "the world": it has its own true constants and a richer phase model, and
may legitimately differ from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

G_M_S2 = 9.81
ROAD_CONDITIONS = ("good", "fair", "poor")
WORK_COLUMNS = ("payload_t", "loaded_distance_km", "empty_distance_km", "rise_m", "fall_m")


class Work(NamedTuple):
    """Work per cycle, MJ: loaded climb, empty climb, rolling resistance of both legs."""

    grade_mj: np.ndarray
    empty_climb_mj: np.ndarray
    rolling_mj: np.ndarray
    rolling_resistance: np.ndarray

    @property
    def total_mj(self) -> np.ndarray:
        return self.grade_mj + self.empty_climb_mj + self.rolling_mj


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats; missing, non-numeric or absent values are 0 (they add no work)."""
    if column not in frame.columns:
        return np.zeros(len(frame))
    values = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)


def rolling_resistance(frame: pd.DataFrame, constants: Mapping[str, Any]) -> np.ndarray:
    """Rolling resistance of each row's ``road_condition`` (trimmed, case-insensitive); a missing
    or unknown condition (or no such column) gets the ``default_road_condition``'s figure."""
    table = {k: float(v) for k, v in constants["rolling_resistance"].items()}
    default = table[constants["default_road_condition"]]
    if "road_condition" not in frame.columns:
        return np.full(len(frame), default)
    road = frame["road_condition"].astype("string").str.strip().str.lower()
    return road.map(table).astype(float).fillna(default).to_numpy()


def empty_mass_t(
    frame: pd.DataFrame, constants: Mapping[str, Any], capacity: str | None
) -> np.ndarray:
    """Empty truck mass, t: ``empty_mass_ratio`` × the rated payload in column ``capacity`` where
    known and positive, else ``nominal_empty_mass_t`` (and everywhere when ``capacity`` is None:
    the cycle model's input contract has no capacity column)."""
    nominal = np.full(len(frame), float(constants["nominal_empty_mass_t"]))
    if capacity is None or capacity not in frame.columns:
        return nominal
    cap = pd.to_numeric(frame[capacity], errors="coerce").astype(float).to_numpy()
    known = np.isfinite(cap) & (cap > 0)
    return np.where(known, float(constants["empty_mass_ratio"]) * np.where(known, cap, 0), nominal)


def cycle_work(
    frame: pd.DataFrame, constants: Mapping[str, Any], capacity: str | None = None
) -> Work:
    """Work of each cycle row against grade and rolling resistance (formulas above)."""
    payload, loaded_km, empty_km, rise, fall = (_numeric(frame, c) for c in WORK_COLUMNS)
    empty_t = empty_mass_t(frame, constants, capacity)
    rr = rolling_resistance(frame, constants)
    loaded_t = empty_t + payload
    # t · 1000 kg · g · m / 1e6 = t · g · m / 1000 MJ; km · 1000 m cancels the 1000.
    return Work(
        grade_mj=loaded_t * G_M_S2 * rise / 1000.0,
        empty_climb_mj=empty_t * G_M_S2 * fall / 1000.0,
        rolling_mj=G_M_S2 * rr * (loaded_t * loaded_km + empty_t * empty_km),
        rolling_resistance=rr,
    )


def litres(work_mj: np.ndarray, frame: pd.DataFrame, constants: Mapping[str, Any]) -> np.ndarray:
    """First-principles litres per cycle: work over engine efficiency and diesel's energy, plus
    ``idle_lph`` over the row's ``queue_min`` and ``load_dump_min``."""
    idle_h = (_numeric(frame, "queue_min") + float(constants["load_dump_min"])) / 60.0
    per_litre = float(constants["engine_efficiency"]) * float(constants["diesel_mj_per_l"])
    return np.asarray(work_mj, dtype=float) / per_litre + float(constants["idle_lph"]) * idle_h
