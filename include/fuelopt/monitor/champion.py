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
    from fuelopt.ml.registry import alias_target, version_metrics

    alias = get_settings().ml.promotion.champion_alias
    version = alias_target(name, alias)
    if version is None:
        log.warning("no %s@%s in the MLflow registry", name, alias)
        return None
    metrics = version_metrics(name, str(version.version))
    return Champion(name, str(version.version), version.run_id, metrics)


def reference_profile(champion: Champion) -> pd.DataFrame | None:
    """The champion run's training-data profile artifact, or None when the run has none. An
    unreachable tracking store raises RegistryUnavailable."""
    import mlflow

    from fuelopt.ml.registry import registry_call, tracking_uri

    artifact = get_settings().monitor.window.reference_artifact
    with tempfile.TemporaryDirectory() as tmp:

        def download() -> str | None:
            try:
                return mlflow.artifacts.download_artifacts(
                    run_id=champion.run_id,
                    artifact_path=artifact,
                    dst_path=tmp,
                    tracking_uri=tracking_uri(),
                )
            except FileNotFoundError:
                return None

        local = registry_call(f"{champion.label} artifact {artifact}", download)
        if local is None:
            log.warning("champion %s has no %s", champion.label, artifact)
            return None
        return pd.read_parquet(Path(local))
