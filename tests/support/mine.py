"""The small synthetic mines the monitoring tests share."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from fuelopt.synth import MineSpec
from tests.support.features import Features


def mine(
    features: Callable[[MineSpec], Features],
    scenario: str | None,
    seed: int = 11,
    start_day: int = 10,
) -> pd.DataFrame:
    """Cycle features dbt builds from a 20-day, 12-truck synthetic mine drifting from
    ``start_day``; ``features`` is the ``dbt_features`` fixture."""
    spec = MineSpec(
        seed=seed,
        days=20,
        trucks=12,
        shovels=4,
        dumps=2,
        clean=True,
        scenario=scenario,
        scenario_start_day=start_day if scenario else None,
    )
    return features(spec).cycles
