"""Walk-forward folds, metrics and the no-leakage guarantee of both models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fuelopt.config import get_settings
from fuelopt.ml.settings import WalkForwardSettings
from fuelopt.ml.walk_forward import block_folds, interval_metrics, regression_metrics, time_folds

WF = WalkForwardSettings(
    initial_days=10,
    step_days=5,
    test_days=5,
    max_folds=10,
    fallback_initial_fraction=0.5,
    fallback_folds=3,
)


def _times(days: int, per_day: int = 4) -> pd.Series:
    start = pd.Timestamp("2026-01-01", tz="UTC")
    return pd.Series([start + pd.Timedelta(hours=6 * i) for i in range(days * per_day)])


def test_time_folds_expand_and_never_train_on_or_after_the_cutoff():
    times = _times(30)
    folds = time_folds(times, WF)
    assert len(folds) == 4  # cutoffs at days 10, 15, 20, 25
    sizes = [len(f.train) for f in folds]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)  # expanding window
    for fold in folds:
        assert times.iloc[fold.train].max() < fold.cutoff
        assert times.iloc[fold.test].min() >= fold.cutoff
        assert times.iloc[fold.test].max() < fold.cutoff + pd.Timedelta(days=WF.test_days)


def test_max_folds_keeps_the_latest():
    folds = time_folds(_times(30), WF.model_copy(update={"max_folds": 2}))
    assert [f.cutoff.day for f in folds] == [21, 26]


def test_short_span_falls_back_to_row_blocks():
    folds = time_folds(_times(3), WF)
    assert len(folds) == 3 and folds[0].cutoff is None
    assert all(f.train.max() < f.test.min() for f in folds)
    assert block_folds(0, WF) == []


def test_metrics():
    y = np.array([10.0, 20.0, 30.0])
    m = regression_metrics(y, y + np.array([1.0, -1.0, 0.0]))
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["mape_pct"] == pytest.approx((0.1 + 0.05) / 3 * 100)
    assert m["r2"] == pytest.approx(1 - 2 / 200)
    cov = interval_metrics(y, y - 1, np.array([11.0, 19.0, 31.0]))
    assert cov["coverage_pct"] == pytest.approx(200 / 3)


def _daily(days: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2026-01-01", periods=days, freq="D")
    weekly = np.array([1.0, 1.02, 1.0, 1.03, 0.98, 0.9, 0.85])[dates.dayofweek]
    fuel = 60000 * weekly * rng.normal(1, 0.04, days)
    return pd.DataFrame({"date": dates, "fuel_l": fuel, "planned_t": fuel * 2.0})


def test_demand_fold_forecasts_use_only_data_up_to_the_cutoff():
    """Changing every value after a fold's cutoff leaves that fold's forecast from the cutoff
    unchanged: neither its features nor its training labels can see the future."""
    from fuelopt.ml.demand import _fit_horizon, _meta
    from fuelopt.ml.demand_pyfunc import BOOSTED, predict_horizon, to_daily

    cfg = get_settings().ml.demand.model_copy(update={"num_boost_round": 20})
    daily = to_daily(_daily(), list(cfg.exogenous))
    cut = 70
    tampered = daily.copy()
    tampered.iloc[cut + 1 :, :] *= 3.0
    for kind in BOOSTED:
        for h in cfg.horizons:
            preds = []
            for frame in (daily, tampered):
                meta = _meta(cfg, list(cfg.horizons))
                spec, booster = _fit_horizon(frame, h, cut, meta, cfg, seed=1, kind=kind)
                assert spec["kind"] == kind
                preds.append(
                    predict_horizon(frame, np.array([cut]), h, spec, {kind: booster}, meta)
                )
            assert preds[0] == pytest.approx(preds[1]), kind
    # ... and the check can fail: tampering with the past does move it.
    past = daily.copy()
    past.iloc[cut - 3 : cut + 1, :] *= 3.0
    meta = _meta(cfg, list(cfg.horizons))
    spec, booster = _fit_horizon(past, h, cut, meta, cfg, seed=1, kind=kind)
    moved = predict_horizon(past, np.array([cut]), h, spec, {kind: booster}, meta)
    assert moved != pytest.approx(preds[0])


def test_demand_walk_forward_labels_precede_each_fold():
    from fuelopt.ml.demand import walk_forward
    from fuelopt.ml.demand_pyfunc import to_daily

    cfg = get_settings().ml.demand.model_copy(update={"num_boost_round": 10})
    cv = walk_forward(to_daily(_daily(90), list(cfg.exogenous)), cfg, [7], seed=1)
    assert len(cv) > 0
    assert (pd.to_datetime(cv["origin"]) >= pd.to_datetime(cv["cutoff"])).all()
    assert (pd.to_datetime(cv["target_date"]) - pd.to_datetime(cv["origin"])).dt.days.eq(7).all()


def test_cycle_folds_train_strictly_before_test():
    from fuelopt.ml.cycle_model import cross_validate

    rng = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame(
        {
            "load_start": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(np.sort(rng.uniform(0, 50 * 86400, n)), unit="s"),
            "payload_t": rng.uniform(200, 240, n),
            "loaded_distance_km": rng.uniform(3, 7, n),
            "empty_distance_km": rng.uniform(3, 7, n),
            "rise_m": rng.uniform(60, 200, n),
            "fall_m": rng.uniform(0, 30, n),
            "queue_min": rng.exponential(2.5, n),
            "avg_speed_kmh": rng.uniform(20, 30, n),
            "truck_engine_hours": rng.uniform(2000, 60000, n),
            "truck_model": rng.choice(["CAT 793F", "Komatsu 930E"], n),
            "road_condition": rng.choice(["good", "fair", "poor"], n),
        }
    )
    frame["fuel_l"] = 0.5 * frame["rise_m"] + 10 * frame["loaded_distance_km"] + rng.normal(0, 2, n)
    cfg = get_settings().ml.cycle.model_copy(update={"num_boost_round": 20})
    cv = cross_validate(frame, cfg, seed=1)
    assert len(cv.folds) == 3  # cutoffs at days 28, 35, 42 (a 4th would end after day 50)
    for fold in cv.folds:
        assert frame["load_start"].iloc[fold.train].max() < fold.cutoff
        assert frame["load_start"].iloc[fold.test].min() >= fold.cutoff
    assert set(cv.table["model"]) == {"xgboost", "physics", "linear"}
    assert cv.summary["xgboost"]["mae"] < cv.summary["physics"]["mae"]
