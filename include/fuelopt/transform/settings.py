"""Configuration of the transform package (section `transform` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fuelopt.settings_base import Section


class TransformSettings(Section):
    """How the transform DAG runs its dbt models through Cosmos."""

    # local: one `dbt build` per model task; watcher: one `dbt build` per layer, a sensor per
    # model and per model's tests (Cosmos ExecutionMode.WATCHER, experimental).
    cosmos_execution_mode: Literal["local", "watcher"]
    # watcher: how often a model's sensor (in the triggerer) reads the build's progress.
    watcher_poke_seconds: int = Field(ge=1, le=300)
