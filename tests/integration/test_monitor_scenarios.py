"""Drift detection on the features dbt builds from the synthetic mine's scenarios, with the
empirical-null calibration."""

from __future__ import annotations

import pandas as pd
import pytest

from fuelopt.config import get_settings
from fuelopt.monitor.drift import compare
from tests.support.mine import mine

pytestmark = pytest.mark.integration


def window_reports(frame: pd.DataFrame, windows: int = 4) -> list[dict]:
    """Reports of the last ``windows`` six-hour windows against the first ten days."""
    cfg = get_settings().monitor.window
    ts = frame[cfg.time_column]
    reference = frame[ts < ts.min().normalize() + pd.Timedelta(days=10)]
    end, reports = ts.max(), []
    for k in range(windows):
        stop = end - pd.Timedelta(hours=cfg.current_hours * k)
        current = frame[(ts > stop - pd.Timedelta(hours=cfg.current_hours)) & (ts <= stop)]
        reports.append(compare(reference, current, cfg.columns, time_column=cfg.time_column))
    return reports


@pytest.fixture(scope="module")
def mines(dbt_features) -> dict[str | None, pd.DataFrame]:
    return {s: mine(dbt_features, s) for s in (None, "payload_shift", "road_degradation")}


def test_stationary_mine_raises_no_drift(mines):
    reports = window_reports(mines[None])
    assert all(r["calibrated"] for r in reports)
    assert [r["drifted"] for r in reports] == [[]] * len(reports)


def test_payload_shift_is_detected_at_payload_only(mines):
    reports = window_reports(mines["payload_shift"])
    assert all("payload_t" in r["drifted"] for r in reports)
    assert all(r["columns"]["payload_t"]["severity"] == "high" for r in reports)
    assert not any({"road_condition", "rise_m", "truck_model"} & set(r["drifted"]) for r in reports)


def test_road_degradation_is_detected_at_road_speed_and_fuel(mines):
    reports = window_reports(mines["road_degradation"])
    seen = set().union(*(r["drifted"] for r in reports))
    assert {"road_condition", "avg_speed_kmh", "fuel_l"} <= seen
    assert all({"avg_speed_kmh", "fuel_l"} & set(r["drifted"]) for r in reports)
    assert "payload_t" not in seen


def test_calibration_raises_thresholds_above_psi_warn_for_clustered_columns(mines):
    report = window_reports(mines[None], windows=1)[0]
    rise = report["columns"]["rise_m"]
    assert rise["psi_threshold"] > get_settings().monitor.drift.psi_warn
    assert rise["null_blocks"] >= get_settings().monitor.drift.null_min_blocks
