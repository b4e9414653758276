"""A champion cycle model for mart tests: trained by the project (fuelopt.ml.training) on the
warehouse's own dbt-built features (features.cycle_features) up to a time, promoted, and the
cycles after it scored into ops.cycle_predictions as monitor_drift's score_cycles does: the
champion judges cycles it never saw, as in production."""

from __future__ import annotations

from datetime import datetime

import pytest

from fuelopt.config import get_settings


def train_and_score_champion(
    uri: str, monkeypatch: pytest.MonkeyPatch, split: datetime, until: datetime
) -> dict:
    """Train (untuned) on ``uri``'s good cycles loaded before ``split`` (ml.cycle.time_column),
    promote, score the cycles of (``split``, ``until``]; returns the scoring result."""
    from fuelopt.ml import registry, training
    from fuelopt.monitor import jobs

    days = (until - split).total_seconds() / 86_400
    assert days == int(days), "score whole days"
    monkeypatch.setenv("FUELOPT__ML__CYCLE__TUNING__ENABLED", "false")
    monkeypatch.setenv("FUELOPT__ML__CYCLE_SCORING__LOOKBACK_DAYS", str(int(days)))
    get_settings.cache_clear()
    settings = get_settings()
    cycles = training.load_cycles(uri)
    history = cycles[cycles[settings.ml.cycle.time_column] <= split].reset_index(drop=True)
    assert 0 < len(history) < len(cycles)
    version = str(training.train_cycle_challenger(history)["version"])
    registry.promote(settings.ml.cycle_model_name, version, "test: champion of the history")
    return jobs.run_cycle_scoring("score-champion", until, uri)
