"""Shared fixtures. Every test makes its own state (databases, Airflow home, MLflow store) under
unique names and removes it afterwards; run through include/scripts/run_tests.sh, which sets up the
local stack and the environment defaults of include/scripts/env.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.databases import database_factory, new_warehouse

# Airflow reads AIRFLOW_HOME when first imported: give this test session its own, before that.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="fuelopt-test-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
# In-process tests use a SQLite metadata database of their own; the tests that start the stack
# give their subprocesses a PostgreSQL one (tests/support/stack.py).
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__COSMOS__CACHE_DIR"] = str(_AIRFLOW_HOME / "cosmos")
# Nothing a test writes lands in the repository's .local: artifacts and MLflow go here too.
os.environ["FUELOPT__PATHS__ARTIFACTS_DIR"] = str(_AIRFLOW_HOME / "artifacts")
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_AIRFLOW_HOME / 'mlflow' / 'mlflow.db'}"
(_AIRFLOW_HOME / "mlflow").mkdir()
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("FUELOPT_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

ROOT = Path(__file__).resolve().parents[1]

# Source stand-ins (PostgREST), settings fixtures, the stack tests' environment and the marts
# the API and dashboard serve.
pytest_plugins = [
    "tests.support.sources",
    "tests.support.settings",
    "tests.support.stack",
    "tests.support.marts",
    "tests.support.features",
]


@pytest.fixture(scope="session")
def airflow_home() -> Iterator[Path]:
    """This session's Airflow home with a migrated SQLite metadata database."""
    subprocess.run(["airflow", "db", "migrate"], check=True, capture_output=True)
    yield _AIRFLOW_HOME


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture
def make_database() -> Iterator[Callable[[str], str]]:
    """Factory of blank databases owned by the loader role; all dropped at teardown."""
    with database_factory() as make:
        yield make


def _new_warehouse(make: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> str:
    from fuelopt.config import get_settings

    uri = new_warehouse(make)
    conn_id = get_settings().connections.warehouse
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", uri)
    return uri


@pytest.fixture
def warehouse_uri(make_database, monkeypatch) -> str:
    """A fresh warehouse database (roles, schemas, grants, ops tables), set as the Airflow
    connection the code uses."""
    return _new_warehouse(make_database, monkeypatch)


@pytest.fixture(scope="module")
def module_warehouse_uri() -> Iterator[str]:
    """``warehouse_uri`` shared by the tests of one module (slow builds made once)."""
    with database_factory() as make, pytest.MonkeyPatch.context() as monkeypatch:
        yield _new_warehouse(make, monkeypatch)
