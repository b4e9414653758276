"""The feature frames the ML, optimisation and monitoring tests and the benches train on: a small
synthetic mine loaded into raw, built by dbt, and read back with the readers production trains
from (``fuelopt.ml.training.load_cycles`` / ``load_daily``)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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


@dataclass
class Features:
    """One synthetic mine's features layer as dbt built it in a warehouse database, read as
    training reads it on first use; each access gives a copy the caller may change."""

    spec: MineSpec
    uri: str
    operations: dict[str, pd.DataFrame]
    _read: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def cycles(self) -> pd.DataFrame:
        """``training.load_cycles`` of the mine's warehouse."""
        from fuelopt.ml import training

        return self._frame("cycles", lambda: training.load_cycles(self.uri))

    @property
    def daily(self) -> pd.DataFrame:
        """``training.load_daily`` of the mine's warehouse, up to the end of its last day."""
        from fuelopt.ml import training

        return self._frame("daily", lambda: training.load_daily(self.uri, data_end(self.spec)))

    def _frame(self, name: str, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if name not in self._read:
            self._read[name] = read()
        return self._read[name].copy()


def mine_spec(mine: str | MineSpec) -> MineSpec:
    """The MineSpec of a named mine in ``MINES``; a MineSpec is returned as it is."""
    return MineSpec(**MINES[mine]) if isinstance(mine, str) else mine


def data_end(spec: MineSpec) -> datetime:
    """When the mine's last day ends (synthetic days run from the shift day start, UTC)."""
    from fuelopt.config import get_settings

    start = get_settings().optimize.shift.day_start_hour
    return datetime.combine(spec.start + timedelta(days=spec.days), time(start), tzinfo=UTC)


def build(uri: str, spec: MineSpec, target_path: Path) -> Features:
    """Generate the mine, load it into raw of the warehouse at ``uri`` and build the features
    layer with dbt."""
    from fuelopt.synth import generate_operations
    from fuelopt.transform.dbt_run import run_dbt
    from tests.support.raw_data import load_operations

    operations = generate_operations(spec)
    load_operations(uri, operations)
    run_dbt(["run", "--select", *FEATURE_MODELS], uri=uri, target_path=target_path)
    return Features(spec, uri, operations)


def build_features(mine: str | MineSpec, frames: Sequence[str] = ("cycles", "daily")) -> Features:
    """``build`` in a new warehouse database, ``frames`` read before it is dropped (the daily
    series needs ``ml.demand.min_history_days`` of data)."""
    with database_factory() as make, tempfile.TemporaryDirectory() as tmp:
        features = build(new_warehouse(make), mine_spec(mine), Path(tmp) / "target")
        for name in frames:
            getattr(features, name)
    return features


@pytest.fixture(scope="session")
def dbt_features(tmp_path_factory) -> Iterator[Callable[[str | MineSpec], Features]]:
    """``build`` once per mine (and synth settings) in the session, each in its own warehouse
    database; the databases are dropped at the end of the session."""
    from fuelopt.config import get_settings

    built: dict[tuple, Features] = {}
    target = tmp_path_factory.mktemp("dbt_features") / "target"
    with database_factory() as make:

        def features(mine: str | MineSpec) -> Features:
            spec = mine_spec(mine)
            key = (spec, get_settings().synth.model_dump_json())
            if key not in built:
                built[key] = build(new_warehouse(make), spec, target)
            return built[key]

        yield features
