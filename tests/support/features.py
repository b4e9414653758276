"""The feature frames the ML, optimisation and monitoring tests and the benches train on: a small
synthetic mine loaded into raw, built by dbt, and read back with the readers production trains
from (``fuelopt.ml.training.load_cycles`` / ``load_daily``)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fuelopt.synth import MineSpec
from tests.support.databases import database_factory, new_warehouse

# The named small mines the tests share (MineSpec fields): sized so the models train and the
# gates promote in seconds.
MINES: dict[str, dict[str, Any]] = {
    "cycles": {"seed": 5, "days": 50, "trucks": 4, "shovels": 2, "dumps": 2, "clean": True},
    "demand": {"seed": 7, "days": 60, "trucks": 12, "shovels": 4, "dumps": 2, "clean": True},
}
FEATURE_MODELS = ["+cycle_features", "+daily_site_features"]


@dataclass(frozen=True)
class Features:
    """What dbt built from one synthetic mine, and the source tables it was built from."""

    cycles: pd.DataFrame
    daily: pd.DataFrame
    operations: dict[str, pd.DataFrame]


def mine_spec(mine: str | MineSpec) -> MineSpec:
    """The MineSpec of a named mine in ``MINES``; a MineSpec is returned as it is."""
    return MineSpec(**MINES[mine]) if isinstance(mine, str) else mine


def data_end(spec: MineSpec) -> datetime:
    """When the mine's last day ends (synthetic days run from the shift day start, UTC)."""
    from fuelopt.config import get_settings

    start = get_settings().optimize.shift.day_start_hour
    return datetime.combine(spec.start + timedelta(days=spec.days), time(start), tzinfo=UTC)


def build_features(mine: str | MineSpec, target_path: Path | None = None) -> Features:
    """Generate the mine, load it into raw in a new warehouse database, build the features layer
    with dbt, read it as training does; the database is dropped before returning."""
    from fuelopt.ml import training
    from fuelopt.synth import generate_operations
    from fuelopt.transform.dbt_run import run_dbt
    from tests.support.raw_data import load_operations

    spec = mine_spec(mine)
    operations = generate_operations(spec)
    with database_factory() as make, tempfile.TemporaryDirectory() as tmp:
        uri = new_warehouse(make)
        load_operations(uri, operations)
        target = target_path or Path(tmp) / "target"
        run_dbt(["run", "--select", *FEATURE_MODELS], uri=uri, target_path=target)
        cycles = training.load_cycles(uri)
        daily = training.load_daily(uri, until=data_end(spec))
    return Features(cycles, daily, operations)


@pytest.fixture(scope="session")
def dbt_features(tmp_path_factory) -> Callable[[str | MineSpec], Features]:
    """``build_features`` cached for the session (per mine and synth settings); each call gets
    its own copies of the frames."""
    from fuelopt.config import get_settings

    built: dict[tuple, Features] = {}
    target = tmp_path_factory.mktemp("dbt_features") / "target"

    def features(mine: str | MineSpec) -> Features:
        spec = mine_spec(mine)
        key = (spec, get_settings().synth.model_dump_json())
        if key not in built:
            built[key] = build_features(spec, target)
        found = built[key]
        return Features(found.cycles.copy(), found.daily.copy(), found.operations)

    return features
