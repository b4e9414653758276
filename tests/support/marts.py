"""A warehouse whose marts hold what the API and the dashboard serve: a fleet plan, a forecast
issue, and champions of both models in the test's MLflow store."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest


def as_role(uri: str, role: str) -> str:
    """The same database, logged in as ``role`` (trust authentication on the local server)."""
    parts = urlsplit(uri)
    netloc = f"{role}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def served_marts(warehouse_uri, mlflow_store, dbt_features, tmp_path, monkeypatch) -> dict:
    """dbt-built marts of a small synthetic mine; cycle and demand champions trained on the
    features dbt builds from longer ones; a forecast issued into ops.predictions and the last
    shift planned with the champion. Returns the warehouse and bi_reader URIs, the planned shift
    and the training cycles."""
    from fuelopt.config import get_settings
    from fuelopt.ml import training
    from fuelopt.optimize.build import shift_of
    from fuelopt.optimize.jobs import build_step, publish_step, solve_step
    from fuelopt.synth import MineSpec
    from fuelopt.transform.dbt_run import run_dbt
    from tests.support.raw_data import MineData, load_mine_days

    monkeypatch.setenv("FUELOPT__PATHS__ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    settings = get_settings()
    mine = MineData.generate(MineSpec(seed=3, days=3, trucks=4, shovels=2, dumps=1))
    load_mine_days(warehouse_uri, mine, range(3))
    run_dbt(["build"], uri=warehouse_uri, target_path=tmp_path / "target")

    cycles = dbt_features("cycles").cycles
    assert training.gate_cycle(cycles, training.train_cycle_challenger(cycles))["promoted"]
    daily = dbt_features("demand").daily
    assert training.gate_demand(daily, training.train_demand_challenger(daily))["promoted"]
    training.issue_forecasts(daily, datetime.now(UTC), "served_marts", uri=warehouse_uri)

    with psycopg.connect(warehouse_uri) as conn:
        day, shift = conn.execute(
            f"SELECT shift_date, shift FROM {settings.warehouse.schemas.cleansed}"
            ".stg_operations__shift_plan ORDER BY shift_date DESC, shift DESC LIMIT 1"
        ).fetchone()
    target = shift_of(day, shift, settings.optimize.shift)
    solved = solve_step(build_step(target))
    assert solved["status"] in ("optimal", "feasible"), solved
    publish_step(solved["scenario_path"], solved["plan_path"], "served_marts")
    return {
        "warehouse": warehouse_uri,
        "reader": as_role(warehouse_uri, settings.warehouse.roles.bi_reader),
        "shift_date": target.shift_date.isoformat(),
        "shift": target.shift,
        "cycles": cycles,
    }
