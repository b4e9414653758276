"""Litres per cycle for every truck model x route: the champion cycle model, else physics."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fuelopt import haul_physics
from fuelopt.haul_physics_settings import HaulPhysicsSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Predictor:
    """Predicts litres for a cycle-level frame; ``source`` names it in the plan."""

    source: str  # e.g. "champion fuelopt_cycle_fuel v3" or "physics"
    model: object | None = None

    def predict(self, frame: pd.DataFrame, physics: HaulPhysicsSettings) -> np.ndarray:
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


def physics_litres(frame: pd.DataFrame, cfg: HaulPhysicsSettings) -> np.ndarray:
    """First-principles litres per cycle (:func:`fuelopt.haul_physics.litres`), the truck's empty
    mass from the frame's ``capacity_t`` (rated payload)."""
    constants = cfg.model_dump()
    work = haul_physics.cycle_work(frame, constants, capacity="capacity_t")
    return haul_physics.litres(work.total_mj, frame, constants)
