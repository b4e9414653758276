"""The small synthetic mines the monitoring tests share."""

from __future__ import annotations

import pandas as pd

from fuelopt.ml.sample_data import cycle_frame


def mine(scenario: str | None, seed: int = 11, start_day: int = 10) -> pd.DataFrame:
    """Cycle features of a 20-day, 12-truck synthetic mine, drifting from ``start_day``."""
    from fuelopt.synth import MineSpec, generate_operations

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
    return cycle_frame(generate_operations(spec))
