"""Typed configuration: include/config/fuelopt.yaml, overridden by FUELOPT__SECTION__KEY variables.

Every path, connection id, schedule, threshold, horizon, seed and hyper-parameter lives in the
YAML file. Each section's model sits beside the code that uses it (``fuelopt/<pkg>/settings.py``)
and is assembled here. Loading validates the whole file: an unknown, missing or mistyped key
raises :class:`ConfigError` naming the key and the file.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PositiveFloat, PositiveInt, ValidationError

from fuelopt.alerts.settings import AlertSettings
from fuelopt.api.settings import ApiSettings
from fuelopt.dashboard.settings import DashboardSettings
from fuelopt.haul_physics_settings import HaulPhysicsSettings
from fuelopt.ml.settings import MlSettings
from fuelopt.monitor.settings import MonitorSettings
from fuelopt.optimize.settings import OptimizeSettings
from fuelopt.quality.settings import QualitySettings
from fuelopt.reports.settings import ReportSettings
from fuelopt.settings_base import Section, SqlName
from fuelopt.sources.settings import SourceSettings
from fuelopt.synth.settings import SynthSettings
from fuelopt.transform.settings import TransformSettings
from fuelopt.warehouse.settings import WarehouseSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = PROJECT_ROOT / "include" / "config" / "fuelopt.yaml"
ENV_PREFIX = "FUELOPT__"


class ConfigError(ValueError):
    """The configuration file or an override is wrong; the message names the key and file."""


class PathSettings(Section):
    """Local folders, relative to the repository root unless absolute. (Airflow's home and the
    MLflow store are environment settings: AIRFLOW_HOME, MLFLOW_TRACKING_URI.)"""

    artifacts_dir: Path
    dbt_project_dir: Path
    dbt_profiles_dir: Path

    def resolve(self, name: str) -> Path:
        """Absolute path of the folder called ``name``."""
        path = Path(getattr(self, name))
        return path if path.is_absolute() else PROJECT_ROOT / path

    def artifact(self, sub: Path | str) -> Path:
        """``sub`` as an absolute path, relative ones inside ``artifacts_dir``."""
        path = Path(sub)
        return path if path.is_absolute() else self.resolve("artifacts_dir") / path


class ConnectionIds(Section):
    """Airflow connection ids; the connections themselves come from the environment."""

    warehouse: str
    telemetry_api: str
    operations: str
    smtp: str
    slack: str
    bi_reader: str


class ScheduleSettings(Section):
    """Cron schedule (UTC) of each time-driven DAG. No DAG has a start date: with catchup off,
    un-pausing one waits for its next tick instead of running the latest past one."""

    extract_telemetry: str
    extract_operations: str
    train_models: str
    optimize_fleet: str
    monitor_drift: str
    report_weekly: str


class PipelineSettings(Section):
    """The main job's synthetic mine and its limits (``fuelopt pipeline``)."""

    seed: int
    days: PositiveInt
    trucks: PositiveInt
    shovels: PositiveInt
    dumps: PositiveInt
    start: date
    backfill_telemetry_hours: PositiveInt
    backfill_operations_days: PositiveInt
    wait_timeout_seconds: PositiveInt
    quiet_seconds: PositiveInt


class StackSettings(Section):
    """Local processes of ``fuelopt stack`` and the main job."""

    state_dir: Path
    parallelism: PositiveInt = Field(le=64)
    api_host: str
    api_port: int = Field(ge=1, le=65535)
    mlflow_port: int = Field(ge=1, le=65535)
    metadata_db: SqlName
    metadata_role: SqlName
    start_timeout_seconds: PositiveFloat
    stop_timeout_seconds: PositiveFloat

    def folder(self) -> Path:
        return self.state_dir if self.state_dir.is_absolute() else PROJECT_ROOT / self.state_dir


class Settings(Section):
    paths: PathSettings
    connections: ConnectionIds
    schedules: ScheduleSettings
    stack: StackSettings
    api: ApiSettings
    dashboard: DashboardSettings
    alerts: AlertSettings
    warehouse: WarehouseSettings
    sources: SourceSettings
    synth: SynthSettings
    physics: HaulPhysicsSettings
    quality: QualitySettings
    transform: TransformSettings
    ml: MlSettings
    optimize: OptimizeSettings
    monitor: MonitorSettings
    reports: ReportSettings
    pipeline: PipelineSettings


def _apply_overrides(data: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX) :].split("__") if k]
        node = data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                raise ConfigError(f"{name}: no section {key!r} to override")
            node = child
        node[keys[-1]] = yaml.safe_load(raw) if raw != "" else None
    return data


def load_settings(
    path: Path | str | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read, override from the environment and validate the configuration file."""
    path = Path(path or os.environ.get("FUELOPT_CONFIG") or DEFAULT_CONFIG)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping of sections")
    data = _apply_overrides(data, dict(os.environ if environ is None else environ))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"key '{'.'.join(str(p) for p in err['loc'])}': {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    return load_settings()
