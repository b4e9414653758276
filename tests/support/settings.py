"""Fixtures that change configuration for one test (environment override + cache reset)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def settings_env(monkeypatch) -> Iterator[Callable[..., None]]:
    """``settings_env(NAME=value, ...)``: environment overrides (``FUELOPT__...``) that the next
    ``get_settings()`` reads; both undone after the test."""
    from fuelopt.config import get_settings

    def override(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield override
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def fast_retries(settings_env) -> None:
    """Source retries with tiny waits (3 attempts), so failure tests stay fast."""
    settings_env(
        FUELOPT__SOURCES__POSTGREST__RETRY__ATTEMPTS="3",
        FUELOPT__SOURCES__POSTGREST__RETRY__INITIAL_SECONDS="0.01",
        FUELOPT__SOURCES__POSTGREST__RETRY__MAX_SECONDS="0.05",
    )


@pytest.fixture(params=["csv", "json"])
def postgrest_format(request, settings_env) -> str:
    """``sources.postgrest.format`` set to each format in turn (the test runs once per format)."""
    settings_env(FUELOPT__SOURCES__POSTGREST__FORMAT=request.param)
    return request.param


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> Iterator:
    """A fresh SQLite tracking store; artifacts beside it."""
    from fuelopt.config import get_settings

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
