"""Shared fixtures. Every test makes its own state (databases, Airflow home, MLflow store) under
unique names and removes it afterwards; run through include/scripts/run_tests.sh, which sets up the
local stack and the environment defaults of include/scripts/env.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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
]


def unique_name(prefix: str) -> str:
    """A database or schema name no other test run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def airflow_home() -> Iterator[Path]:
    """This session's Airflow home with a migrated SQLite metadata database."""
    subprocess.run(["airflow", "db", "migrate"], check=True, capture_output=True)
    yield _AIRFLOW_HOME


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@contextmanager
def _database_factory() -> Iterator[Callable[[str], str]]:
    """Factory of blank databases owned by the loader role; all dropped on exit."""
    import psycopg

    from fuelopt.config import get_settings
    from fuelopt.warehouse.bootstrap import drop_database, ensure_database, ensure_role
    from fuelopt.warehouse.db import admin_uri, with_database

    loader = get_settings().warehouse.roles.loader
    made: list[str] = []

    def make(prefix: str = "fuelopt_test") -> str:
        name = unique_name(prefix)
        with psycopg.connect(admin_uri(), autocommit=True) as conn:
            ensure_role(conn, loader)
        ensure_database(admin_uri(), name, loader)
        made.append(name)
        return with_database(f"postgresql://{loader}@{_server(admin_uri())}/", name)

    try:
        yield make
    finally:
        for name in made:
            drop_database(name)


@pytest.fixture
def make_database() -> Iterator[Callable[[str], str]]:
    """Factory of blank databases owned by the loader role; all dropped at teardown."""
    with _database_factory() as make:
        yield make


def _server(uri: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    return f"{parts.hostname}:{parts.port or 5432}"


def _new_warehouse(make: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> str:
    from fuelopt.config import get_settings
    from fuelopt.warehouse.bootstrap import init_warehouse

    uri = make("fuelopt_wh")
    init_warehouse(uri)
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
    with _database_factory() as make, pytest.MonkeyPatch.context() as monkeypatch:
        yield _new_warehouse(make, monkeypatch)
