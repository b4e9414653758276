"""The automatic rollback rule of shadow scoring and its configuration."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from fuelopt.config import ConfigError, load_settings
from fuelopt.monitor.settings import RollbackSettings
from fuelopt.monitor.shadow import Score, error_metrics, rollback_reason

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
CFG = RollbackSettings(
    enabled=True, margin_pct=25, grace_hours=24, min_cycles=30, sustained_windows=2, severity="high"
)


def _scores(
    champ_mae: float | None = 15.0, prev_mae: float | None = 10.0, n: int = 100, prev: bool = True
) -> dict[str, Score]:
    scores = {"champion": Score("champion", "2", n, champ_mae, None, None, 10.0)}
    if prev:
        scores["previous"] = Score("previous", "1", n, prev_mae, None, None, 9.0)
    return scores


@pytest.mark.parametrize(
    ("scores", "hours", "rolls", "said"),
    [
        (_scores(), 30, True, "after 30.0 h as champion; previous champion v1 MAE 10 L"),
        (_scores(), 23.9, False, "within the grace of 24 h"),
        (_scores(champ_mae=12.5), 30, False, "within the margin of 25 %"),  # +25 %: not beyond
        (_scores(prev_mae=15.0), 30, False, "previous champion v1 is no better (MAE 15 L)"),
        (_scores(prev_mae=None), 30, False, "previous champion v1 is no better (could not be"),
        (_scores(prev=False), 30, False, "no previous champion to roll back to"),
        (_scores(n=29), 30, False, "fewer than 30 cycles"),
        (_scores(champ_mae=None), 30, False, "no live MAE"),
    ],
)
def test_rollback_needs_degradation_beyond_the_margin_after_the_grace_and_a_better_previous(
    scores, hours, rolls, said
):
    earlier = _scores()  # the window before was degraded too
    why, decision = rollback_reason([scores, earlier], NOW - dt.timedelta(hours=hours), NOW, CFG)
    assert (why is not None) == rolls
    assert said in decision
    if rolls:
        assert "+50.0 % against its validation 10 L on 100 cycles" in why


@pytest.mark.parametrize(
    "earlier",
    [
        [],  # the champion's first scored window
        [_scores(champ_mae=11.0)],  # within the margin
        [_scores(prev_mae=16.0)],  # the previous champion was worse then
    ],
)
def test_one_degraded_window_is_not_enough(earlier):
    why, decision = rollback_reason([_scores(), *earlier], NOW - dt.timedelta(hours=48), NOW, CFG)
    assert why is None
    assert "in 1 of the last 2 windows (monitor.rollback.sustained_windows)" in decision


def test_degradation_is_against_the_versions_own_validation():
    assert Score("champion", "3", 50, 12.0, None, None, 8.0).degradation_pct == pytest.approx(50)
    assert Score("champion", "3", 50, 12.0, None, None, None).degradation_pct is None
    assert Score("champion", "3", 50, 12.0, None, None, 0.0).degradation_pct is None


def test_error_metrics_skip_zero_litres_in_the_percentage():
    m = error_metrics(np.array([110.0, 90.0, 5.0]), np.array([100.0, 100.0, 0.0]))
    assert m["mae_l"] == pytest.approx(25 / 3)
    assert m["mape_pct"] == pytest.approx(10.0)
    assert m["bias_l"] == pytest.approx(5 / 3)


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("FUELOPT__MONITOR__ROLLBACK__MARGIN_PCT", "-5", "monitor.rollback.margin_pct"),
        ("FUELOPT__MONITOR__ROLLBACK__GRACE_HOURS", "-1", "monitor.rollback.grace_hours"),
        ("FUELOPT__MONITOR__ROLLBACK__MIN_CYCLES", "0", "monitor.rollback.min_cycles"),
        (
            "FUELOPT__MONITOR__ROLLBACK__SUSTAINED_WINDOWS",
            "0",
            "monitor.rollback.sustained_windows",
        ),
        ("FUELOPT__MONITOR__ROLLBACK__SEVERITY", "info", "monitor.rollback.severity"),
        ("FUELOPT__ML__PROMOTION__PREVIOUS_ALIAS", "champion", "ml.promotion"),
    ],
)
def test_rollback_settings_are_validated(variable, value, key):
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_settings(environ={variable: value})
