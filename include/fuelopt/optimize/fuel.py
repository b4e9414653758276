"""Litres per cycle for every truck model x route: the champion cycle model, else physics."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fuelopt.optimize.settings import PhysicsFuelSettings

log = logging.getLogger(__name__)
G = 9.81


@dataclass(frozen=True)
class Predictor:
    """Predicts litres for a cycle-level frame; ``source`` names it in the plan."""

    source: str  # e.g. "champion fuelopt_cycle_fuel v3" or "physics"
    model: object | None = None

    def predict(self, frame: pd.DataFrame, physics: PhysicsFuelSettings) -> np.ndarray:
        if self.model is None:
            return physics_litres(frame, physics)
        return np.asarray(self.model.predict(frame), dtype=float).reshape(-1)


def load_predictor() -> Predictor:
    """The champion pyfunc (``models:/{ml.cycle_model_name}@champion``), or the physics estimate
    when there is no champion yet. An unreachable registry is an error (RegistryUnavailable), not
    a reason to plan on physics."""
    from fuelopt.config import get_settings
    from fuelopt.ml.registry import alias_version, load_alias

    ml = get_settings().ml
    name, alias = ml.cycle_model_name, ml.promotion.champion_alias
    version = alias_version(name, alias)
    if version is None:
        log.warning("no %s@%s in the registry: physics estimate of litres", name, alias)
        return Predictor("physics")
    model = load_alias(name, alias)
    log.info("litres per cycle from %s v%s (%s)", name, version, alias)
    return Predictor(f"{alias} {name} v{version}", model)


def physics_litres(frame: pd.DataFrame, cfg: PhysicsFuelSettings) -> np.ndarray:
    """First-principles litres per cycle: work against grade and rolling resistance over engine
    efficiency and diesel energy, plus idle burn while queuing, loading and dumping."""
    payload = frame["payload_t"].astype(float).to_numpy()
    empty = cfg.empty_mass_ratio * frame["capacity_t"].astype(float).to_numpy()
    gross = empty + payload
    loaded_m = frame["loaded_distance_km"].astype(float).to_numpy() * 1000.0
    empty_m = frame["empty_distance_km"].astype(float).to_numpy() * 1000.0
    rise = frame["rise_m"].astype(float).to_numpy()
    fall = frame["fall_m"].astype(float).to_numpy()
    rr = cfg.rolling_resistance
    work_mj = G * (gross * (rise + rr * loaded_m) + empty * (fall + rr * empty_m)) / 1000.0
    idle_h = (frame["queue_min"].astype(float).to_numpy() + cfg.load_dump_min) / 60.0
    return work_mj / (cfg.engine_efficiency * cfg.diesel_mj_per_l) + cfg.idle_lph * idle_h
