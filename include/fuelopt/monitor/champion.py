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
    """The version behind ``models:/NAME@<alias>``, or None when there is none (logged)."""
    if not name:
        return None
    from fuelopt.ml.registry import client

    alias = get_settings().ml.promotion.champion_alias
    try:
        mlflow_client = client()
        version = mlflow_client.get_model_version_by_alias(name, alias)
        run = mlflow_client.get_run(version.run_id)
    except Exception as exc:
        log.warning("no %s@%s in the MLflow registry: %s", name, alias, exc)
        return None
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
