"""Pure decision rules of the monitor: accuracy severities, staleness, events and messages."""

from __future__ import annotations

import pandas as pd
import pytest

from fuelopt.config import get_settings
from fuelopt.monitor.accuracy import accuracy_rows, degradation_severity, horizon_metrics
from fuelopt.monitor.alerting import compose, events_from
from fuelopt.monitor.champion import Champion
from fuelopt.monitor.checks import CheckRow
from fuelopt.monitor.freshness import staleness_severity


@pytest.mark.parametrize(
    ("pct", "severity"),
    [
        (None, "none"),
        (-40.0, "info"),
        (9.9, "info"),
        (10.0, "warning"),
        (20.0, "warning"),
        (20.1, "high"),
        (50.0, "high"),
        (50.1, "critical"),
    ],
)
def test_degradation_severities_follow_the_roadmap(pct, severity):
    assert degradation_severity(pct, get_settings().monitor.accuracy) == severity


def test_horizon_metrics_and_degradation_against_the_champion():
    pairs = pd.DataFrame(
        {
            "model_version": ["3"] * 6,
            "horizon_days": [7, 7, 7, 15, 15, 15],
            "pred": [110.0, 90.0, 100.0, 130.0, 130.0, 130.0],
            "lo80": [100.0, 80.0, 95.0, 120.0, 120.0, 120.0],
            "hi80": [120.0, 95.0, 105.0, 140.0, 140.0, 140.0],
            "actual": [100.0, 100.0, 100.0, 100.0, 100.0, 100.0],
        }
    )
    metrics = horizon_metrics(pairs).set_index("horizon_days")
    assert list(metrics["model_version"]) == ["3", "3"]
    assert metrics.loc[7, "mae"] == pytest.approx(20 / 3)
    assert metrics.loc[7, "mape"] == pytest.approx(20 / 3)
    assert metrics.loc[7, "coverage80"] == pytest.approx(2 / 3)
    champion = Champion("demand", "3", "run", {"mape_h7": 5.0, "mape_h15": 10.0})
    rows = {
        r.column_name: r
        for r in accuracy_rows(
            metrics.reset_index(),
            {"3": champion.metrics},
            champion,
            "demand",
            get_settings().monitor.accuracy,
        )
    }
    assert rows["h7"].value == pytest.approx((20 / 3 - 5) / 5 * 100)  # +33 %
    assert rows["h7"].severity == "high"
    assert rows["h15"].value == pytest.approx(200.0) and rows["h15"].severity == "critical"
    assert rows["h15"].details["baseline_mape_pct"] == 10.0


def test_no_baseline_is_reported_not_judged():
    metrics = pd.DataFrame(
        {
            "model_version": ["1"],
            "horizon_days": [30],
            "n_pairs": [5],
            "mae": [1.0],
            "mape": [50.0],
            "coverage80": [1.0],
        }
    )
    (row,) = accuracy_rows(metrics, {}, None, "demand", get_settings().monitor.accuracy)
    assert row.value is None and row.severity == "none" and not row.drift
    assert "baseline" in row.details["note"]


def test_staleness_severity():
    assert staleness_severity(30, 90, 4) == "none"
    assert staleness_severity(91, 90, 4) == "warning"
    assert staleness_severity(361, 90, 4) == "high"
    assert staleness_severity(None, 90, 4) == "high"


def test_events_are_filtered_sorted_and_summarised_in_one_message():
    rows = [
        CheckRow(
            "data_drift",
            "features.cycle_features",
            "rise_m",
            "psi",
            0.12,
            0.1,
            True,
            "warning",
            0.001,
            {"reference": "warehouse:14d"},
        ),
        CheckRow(
            "freshness", "raw.truck_telemetry", "ts", "minutes_stale", 400.0, 90.0, True, "high"
        ),
        CheckRow("accuracy", "demand", "h7", "mape_degradation_pct", 5.0, 10.0, False, "info"),
    ]
    events = events_from(rows, "warning")
    assert [e.severity for e in events] == ["high", "warning"]
    assert events[0].key == "freshness:raw.truck_telemetry:ts:high"
    subject, body = compose("monitor_drift", "run-1", events, None)
    assert subject == "[fuelopt] monitor_drift: 2 monitoring event(s), worst high"
    assert "stale source raw.truck_telemetry.ts: 400 min old (max 90)" in body
    assert "data drift features.cycle_features.rise_m" in body
    assert "/fuelopt/runbooks/monitor_drift" in body
