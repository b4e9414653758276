"""Fixtures that change configuration for one test (environment override + cache reset)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def fast_retries(monkeypatch) -> Iterator[None]:
    """Source retries with tiny waits (3 attempts), so failure tests stay fast."""
    from fuelopt.config import get_settings

    monkeypatch.setenv("FUELOPT__SOURCES__POSTGREST__RETRY__ATTEMPTS", "3")
    monkeypatch.setenv("FUELOPT__SOURCES__POSTGREST__RETRY__INITIAL_SECONDS", "0.01")
    monkeypatch.setenv("FUELOPT__SOURCES__POSTGREST__RETRY__MAX_SECONDS", "0.05")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(params=["csv", "json"])
def postgrest_format(request, monkeypatch) -> Iterator[str]:
    """``sources.postgrest.format`` set to each format in turn (the test runs once per format)."""
    from fuelopt.config import get_settings

    monkeypatch.setenv("FUELOPT__SOURCES__POSTGREST__FORMAT", request.param)
    get_settings.cache_clear()
    yield request.param
    get_settings.cache_clear()


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> Iterator:
    """A fresh SQLite tracking store; artifacts beside it."""
    from fuelopt.config import get_settings

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
