"""Run dbt in-process against a PostgreSQL warehouse, with the project vars from fuelopt.yaml."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fuelopt.config import get_settings

log = logging.getLogger(__name__)


class DbtFailed(RuntimeError):
    """A dbt command failed; the message lists the failing nodes."""


@dataclass(frozen=True)
class DbtResult:
    """What a dbt invocation did: per node status, and where its artifacts are."""

    statuses: dict[str, str]
    target_path: Path
    seconds: dict[str, float]


def project_dir() -> Path:
    return get_settings().paths.resolve("dbt_project_dir")


def profiles_dir() -> Path:
    return get_settings().paths.resolve("dbt_profiles_dir")


def dbt_vars() -> dict[str, float | int]:
    """The dbt project vars: the `quality` section, the shifts, diesel price and CO2 factor."""
    settings = get_settings()
    quality = settings.quality
    limits = quality.limits.model_dump()
    fuel = {f"fuel_{k}": v for k, v in quality.fuel.model_dump().items()}
    return {
        **limits,
        **fuel,
        "incremental_lookback_hours": quality.dbt.incremental_lookback_hours,
        "future_tolerance_minutes": quality.dbt.future_tolerance_minutes,
        "truck_rolling_days": quality.dbt.truck_rolling_days,
        "forecast_performance_window_days": quality.dbt.forecast_performance_window_days,
        "shift_day_start_hour": settings.optimize.shift.day_start_hour,
        "shift_hours": settings.optimize.shift.shift_hours,
        "diesel_price_per_l": settings.reports.diesel_price_per_l,
        "co2_kg_per_l": settings.reports.co2_kg_per_l,
    }


def profile_env(uri: str) -> dict[str, str]:
    """Environment variables read by dbt_project/profiles.yml for a PostgreSQL URI."""
    parts = urlsplit(uri)
    settings = get_settings().quality.dbt
    return {
        "FUELOPT_DBT_TARGET": settings.target,
        "FUELOPT_DBT_HOST": parts.hostname or "127.0.0.1",
        "FUELOPT_DBT_PORT": str(parts.port or 5432),
        "FUELOPT_DBT_USER": unquote(parts.username or ""),
        "FUELOPT_DBT_PASSWORD": unquote(parts.password or ""),
        "FUELOPT_DBT_DBNAME": parts.path.lstrip("/"),
        "FUELOPT_DBT_SCHEMA": settings.cosmos_profile_schema,
        "FUELOPT_DBT_THREADS": str(settings.threads),
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def run_dbt(
    args: Sequence[str],
    uri: str | None = None,
    target_path: Path | None = None,
    check: bool = True,
) -> DbtResult:
    """Run ``dbt <args>`` in-process on the warehouse at ``uri`` (default: the Airflow connection).

    Artifacts go to ``target_path`` (default: the project's ``target``); raises :class:`DbtFailed`
    naming the failing nodes when ``check`` and dbt did not succeed.
    """
    from dbt.cli.main import dbtRunner

    from fuelopt.warehouse.db import warehouse_uri

    target = Path(target_path) if target_path else project_dir() / "target"
    full_args = [
        *args,
        "--project-dir",
        str(project_dir()),
        "--profiles-dir",
        str(profiles_dir()),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    if args and args[0] in {"build", "run", "test", "compile", "seed", "docs", "snapshot"}:
        full_args += ["--vars", json.dumps(dbt_vars())]
    with _environment(profile_env(uri or warehouse_uri())):
        result = dbtRunner().invoke(full_args)
    statuses: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for node_result in getattr(result.result, "results", None) or []:
        statuses[node_result.node.unique_id] = str(node_result.status)
        seconds[node_result.node.unique_id] = float(node_result.execution_time or 0.0)
    if check and not result.success:
        failed = sorted(k for k, v in statuses.items() if v in {"error", "fail", "runtime error"})
        detail = ", ".join(failed) or str(result.exception)
        raise DbtFailed(f"dbt {' '.join(args)} failed: {detail}")
    return DbtResult(statuses=statuses, target_path=target, seconds=seconds)
