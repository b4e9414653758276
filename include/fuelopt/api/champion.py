"""The cycle fuel champion, loaded once and reloaded when the ``champion`` alias moves."""

from __future__ import annotations

import threading
import time
from typing import Any

from fuelopt.config import get_settings
from fuelopt.ml import registry


class NoChampion(RuntimeError):
    """The registry has no champion for the model (the API answers 503)."""


class ChampionCache:
    """The champion of ``name``; its version is looked up at most every ``check_seconds``."""

    def __init__(self, name: str, check_seconds: float) -> None:
        self.name = name
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._version: str | None = None
        self._model: Any = None

    def get(self) -> tuple[str, Any]:
        """(version, pyfunc model) of the current champion; NoChampion when there is none."""
        with self._lock:
            if time.monotonic() - self._checked >= self.check_seconds:
                self._refresh()
            if self._model is None:
                raise NoChampion(f"no champion for {self.name}")
            return self._version, self._model

    def _refresh(self) -> None:
        import mlflow

        alias = get_settings().ml.promotion.champion_alias
        version = registry.alias_version(self.name, alias)
        if version is not None and version != self._version:
            mlflow.set_tracking_uri(registry.tracking_uri())
            self._model = mlflow.pyfunc.load_model(f"models:/{self.name}/{version}")
        elif version is None:
            self._model = None
        self._version = version
        self._checked = time.monotonic()
