"""The champion models in the MLflow registry: version, run metrics and reference profile."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fuelopt.config import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Champion:
    name: str
    version: str
    run_id: str
    metrics: dict[str, float]

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"


def model_name(kind: str) -> str:
    """``ml.cycle_model_name`` or ``ml.demand_model_name``."""
    return getattr(get_settings().ml, f"{kind}_model_name")


def find_champion(name: str | None) -> Champion | None:
    """The version behind ``models:/NAME@<alias>``, or None when there is none (logged). An
    unreachable registry raises RegistryUnavailable: monitoring must not carry on as if there
    were no champion."""
    if not name:
        return None
    from fuelopt.ml.registry import alias_target, client

    alias = get_settings().ml.promotion.champion_alias
    version = alias_target(name, alias)
    if version is None:
        log.warning("no %s@%s in the MLflow registry", name, alias)
        return None
    run = client().get_run(version.run_id)
    return Champion(name, str(version.version), version.run_id, dict(run.data.metrics))


def reference_profile(champion: Champion) -> pd.DataFrame | None:
    """The champion run's training-data profile artifact, or None when it cannot be read."""
    import mlflow

    from fuelopt.ml.registry import tracking_uri

    artifact = get_settings().monitor.window.reference_artifact
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = mlflow.artifacts.download_artifacts(
                run_id=champion.run_id,
                artifact_path=artifact,
                dst_path=tmp,
                tracking_uri=tracking_uri(),
            )
            return pd.read_parquet(Path(local))
    except Exception as exc:
        log.warning("champion %s has no readable %s: %s", champion.label, artifact, exc)
        return None
