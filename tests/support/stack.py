"""A local stack of this test's own: Airflow metadata database on PostgreSQL, Airflow home,
ports, MLflow store, artifacts and stack state folder, all unique and removed afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fuelopt.config import get_settings
from fuelopt.stack import stop_groups

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_members(pgids: set[int]) -> list[int]:
    """Live processes whose process group is one of ``pgids``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) in pgids:
            found.append(int(stat.parent.name))
    return found


def stack_pids(state_dir: Path) -> set[int]:
    return {int(p.read_text()) for p in state_dir.glob("*.pid") if p.read_text().strip()}


@pytest.fixture
def stack_env(make_database, warehouse_uri, tmp_path) -> Iterator[dict[str, str]]:
    """Environment for ``fuelopt`` and ``airflow`` subprocesses pointing at this test's own
    databases, ports and folders, with the metadata database migrated."""
    from tests.support.marts import as_role

    metadata = make_database("fuelopt_af").replace("postgresql://", "postgresql+psycopg://", 1)
    settings = get_settings()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__COSMOS__CACHE_DIR": str(tmp_path / "cosmos"),
        f"AIRFLOW_CONN_{settings.connections.bi_reader.upper()}": as_role(
            warehouse_uri, settings.warehouse.roles.bi_reader
        ),
        "AIRFLOW_CONN_FUELOPT_SQLSERVER": make_database("fuelopt_ops"),
        "FUELOPT_TELEMETRY_DB_URL": make_database("fuelopt_tel"),
        "AIRFLOW_CONN_FUELOPT_POSTGREST": f"http://127.0.0.1:{free_port()}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}",
        "FUELOPT__PATHS__ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        "FUELOPT__STACK__STATE_DIR": str(tmp_path / "stack"),
        "FUELOPT__STACK__API_PORT": str(free_port()),
        "FUELOPT__ALERTS__RETRY_DELAY_SECONDS": "5",
    }
    (tmp_path / "mlflow").mkdir()
    subprocess.run(
        ["airflow", "db", "migrate"], env=env, check=True, capture_output=True, timeout=600
    )
    yield env
    stop_groups(sorted(stack_pids(tmp_path / "stack")), timeout=5)


def metadata_rows(env: dict[str, str], query: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query on the stack's Airflow metadata database."""
    import psycopg

    url = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg", "")
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def wait_for(what: str, check, timeout: float = 300):
    """Poll ``check`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(2)
    raise TimeoutError(f"not within {timeout:g} s: {what}")
