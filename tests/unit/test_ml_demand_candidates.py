"""Demand forecast candidates (issue 14: 1): the per-horizon choice on walk-forward folds, the
chosen candidate's conformal intervals, the model card, determinism, config and serving."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from fuelopt.config import DEFAULT_CONFIG, ConfigError, get_settings, load_settings

HORIZONS = [7, 30]
WEEK = np.array([1.0, 1.03, 1.01, 1.04, 0.99, 0.9, 0.84])


def _trending(days: int = 220, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-03-03", periods=days, freq="D")
    level = 50_000 * np.exp(0.9 * np.arange(days) / 365)
    fuel = level * WEEK[dates.day_of_week] * rng.normal(1, 0.03, days)
    return pd.DataFrame({"date": dates, "fuel_l": fuel, "planned_t": 2.2 * level})


def _cfg(**update):
    demand = get_settings().ml.demand
    wf = demand.walk_forward.model_copy(update={"max_folds": 14})
    return demand.model_copy(update={"num_boost_round": 30, "walk_forward": wf, **update})


@pytest.fixture(scope="module")
def fitted():
    from fuelopt.ml.demand import fit_demand

    frame = _trending()
    return frame, fit_demand(frame, _cfg(), HORIZONS, seed=3)


def test_on_a_trend_the_chosen_candidate_is_best_by_the_margin_and_beats_seasonal_naive(
    fitted,
):
    from fuelopt.ml.demand_pyfunc import STAT_MODELS

    _, model = fitted
    cfg = _cfg()
    errors = model.candidates.set_index(["horizon_days", "candidate"])["mape_pct"]
    for h in HORIZONS:
        kind = model.meta["horizons"][str(h)]["kind"]
        assert kind != "snaive", model.candidates
        lowest = errors.loc[h].min()
        margin = 1 - cfg.selection_margin_pct / 100
        assert errors[(h, kind)] == lowest or (
            kind == cfg.fallback_candidate and lowest >= margin * errors[(h, kind)]
        )
        assert errors[(h, kind)] < 0.8 * errors[(h, "snaive")]
        assert min(errors[(h, c)] for c in STAT_MODELS) < 0.8 * errors[(h, "snaive")]
        # chosen on earlier folds only, the served forecasts still beat seasonal naive
        assert model.summary[h]["mape_pct"] < model.summary[h]["snaive_mape_pct"]


def test_every_candidate_s_fold_errors_are_in_the_model_card(fitted):
    from fuelopt.ml.training import _candidate_metrics, _demand_card

    frame, model = fitted
    card = _demand_card(model, frame, "1", "run-test")
    cfg = _cfg()
    table = card[card.index("Candidates, fold MAPE") :]
    header = next(line for line in table.splitlines() if line.startswith("| horizon_days"))
    assert [f"mape_pct {c}" for c in cfg.candidates] == header.strip("| ").split(" | ")[1:-1]
    for h in HORIZONS:
        row = next(line for line in table.splitlines() if line.startswith(f"| {h} |"))
        cells = row.strip("| ").split(" | ")
        expected = model.candidates[model.candidates["horizon_days"] == h]
        assert cells[1:-1] == [f"{v:.4g}" for v in expected["mape_pct"]]
        assert cells[-1] == model.meta["horizons"][str(h)]["kind"]
        assert f"{h} d: {cells[-1]}" in card
    metrics = _candidate_metrics(model.candidates)
    assert len(metrics) == len(cfg.candidates) * len(HORIZONS)
    assert metrics["candidate_mape_h7_snaive"] == pytest.approx(
        model.candidates.query("horizon_days == 7 and candidate == 'snaive'")["mape_pct"].iloc[0]
    )


@pytest.mark.parametrize(("better_by", "chosen"), [(0.05, "ensemble"), (0.2, "AutoETS")])
def test_a_candidate_replaces_the_fallback_only_by_the_margin(better_by, chosen):
    from fuelopt.ml.demand import best_candidate

    cfg = _cfg(candidates=["snaive", "AutoETS", "ensemble"], selection_margin_pct=10.0)
    actual = np.full(30, 100.0)
    rows = pd.DataFrame(
        {
            "actual": actual,
            "pred_snaive": actual * 1.3,
            "pred_AutoETS": actual * (1 + 0.1 * (1 - better_by)),
            "pred_ensemble": actual * 1.1,
        }
    )
    assert best_candidate(rows, cfg) == chosen
    assert best_candidate(rows.head(cfg.min_selection_forecasts - 1), cfg) == "ensemble"


def test_intervals_come_from_the_chosen_candidate_s_fold_residuals(fitted):
    from fuelopt.ml.demand import _conformal, _log_ratio

    _, model = fitted
    cv = model.cv
    for h in HORIZONS:
        spec = model.meta["horizons"][str(h)]
        rows = cv[cv["horizon_days"] == h]
        own = _conformal(_log_ratio(rows["actual"], rows[f"pred_{spec['kind']}"]))
        assert spec["quantiles"] == pytest.approx(own)
        naive = _conformal(_log_ratio(rows["actual"], rows["pred_snaive"]))
        assert spec["quantiles"] != pytest.approx(naive)


def test_two_fits_give_identical_forecasts():
    from fuelopt.ml.demand import fit_demand, forecast

    frame = _trending(150, seed=4)
    cfg = _cfg(candidates=["snaive", "xgboost", "AutoETS"], fallback_candidate="snaive")
    a, b = (fit_demand(frame, cfg, HORIZONS, seed=3) for _ in range(2))
    pd.testing.assert_frame_equal(a.cv, b.cv)
    pd.testing.assert_frame_equal(
        forecast(frame, a.meta, a.boosters), forecast(frame, b.meta, b.boosters)
    )


def test_statistical_fold_forecasts_use_only_data_up_to_the_cutoff():
    from fuelopt.ml.demand import _stat_paths
    from fuelopt.ml.demand_pyfunc import to_daily

    cfg = _cfg()
    y = to_daily(_trending(120), list(cfg.exogenous))["fuel_l"].to_numpy()
    cut = 80
    tampered = y.copy()
    tampered[cut + 1 :] *= 3.0
    before, after = _stat_paths(y, cut, 20, cfg), _stat_paths(tampered, cut, 20, cfg)
    assert set(before) == {"AutoETS", "DynamicOptimizedTheta", "MSTL"}
    for name, path in before.items():
        assert np.isfinite(path).all() and path == pytest.approx(after[name]), name
    past = y.copy()
    past[cut - 10 : cut + 1] *= 1.5
    moved = _stat_paths(past, cut, 20, cfg)
    assert all(moved[n] != pytest.approx(before[n]) for n in before)


def _write(tmp_path, mutate):
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    mutate(data["ml"]["demand"])
    path = tmp_path / "fuelopt.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["candidates"].append("Prophet"), "candidates: ['Prophet']"),
        (lambda d: d.update(candidates=["snaive", "snaive"]), "listed twice"),
        (lambda d: d.update(fallback_candidate="AutoTheta"), "is not a candidate"),
        (
            lambda d: d.update(candidates=["xgboost", "MSTL"]),
            "fallback_candidate 'ensemble' is not a candidate",
        ),
        (lambda d: d.update(ensemble_members=["AutoETS"]), "at least two other candidates"),
        (
            lambda d: d.update(candidates=["snaive", "AutoETS", "ensemble"]),
            "ensemble_members: ['xgboost', 'DynamicOptimizedTheta', 'MSTL'] not among",
        ),
        (lambda d: d.update(selection_margin_pct=100), "ml.demand.selection_margin_pct"),
        (lambda d: d["stat"].update(mstl_season_lengths=[365, 7]), "increasing"),
        (lambda d: d["stat"].update(min_seasons=1), "ml.demand.stat.min_seasons"),
        (lambda d: d["stat"].pop("season_length"), "ml.demand.stat.season_length"),
        (lambda d: d["stat"].update(smooth_from_days=7), "ml.demand.stat.smooth_from_days"),
        (
            lambda d: d["stat"].update(smoothing_half_width_days=-1),
            "ml.demand.stat.smoothing_half_width_days",
        ),
    ],
)
def test_demand_candidate_config_is_validated(tmp_path, mutate, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(_write(tmp_path, mutate), environ={})


def test_configured_candidates_are_the_ones_the_pyfunc_serves():
    from fuelopt.ml.demand_pyfunc import BOOSTED, STAT_MODELS
    from fuelopt.ml.settings import DEMAND_CANDIDATES

    assert set(DEMAND_CANDIDATES) == {"snaive", "ensemble", *BOOSTED, *STAT_MODELS}


def _annual(phase: int, days: int = 900, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    level = 50_000 * (1 + 0.25 * np.sin(2 * np.pi * (np.arange(days) + phase) / 365.25))
    fuel = level * WEEK[dates.day_of_week] * rng.normal(1, 0.02, days)
    return pd.DataFrame({"date": dates, "fuel_l": fuel, "planned_t": np.full(days, 110_000.0)})


@pytest.mark.parametrize("phase", [0, 90])
def test_the_deseasonalised_booster_carries_an_annual_season_it_has_seen_twice(phase):
    """Two and a bit years of a strong annual season: 30 days ahead, XGBoost on the series less
    its MSTL seasons is far closer than XGBoost on the series, which sees too few years to learn
    the season from the calendar."""
    from fuelopt.ml.demand import _fit_horizon, _meta
    from fuelopt.ml.demand_pyfunc import predict_horizon, seasonal_part, to_daily

    cfg = get_settings().ml.demand
    daily = to_daily(_annual(phase), list(cfg.exogenous))
    y = daily["fuel_l"].to_numpy()
    cut, h = 800, 30
    origins = np.arange(cut, cut + 40)
    assert np.ptp(seasonal_part(y, cut, _meta(cfg, [h])["stat"], len(y))) > 0.3 * y.mean()
    mape = {}
    for kind in ("xgboost", "xgboost_sa"):
        meta = _meta(cfg, [h])
        spec, booster = _fit_horizon(daily, h, cut, meta, cfg, seed=1, kind=kind)
        assert spec["kind"] == kind
        pred = predict_horizon(daily, origins, h, spec, {kind: booster}, meta)
        mape[kind] = float(np.mean(np.abs(pred / y[origins + h] - 1)))
    assert mape["xgboost_sa"] < 0.7 * mape["xgboost"], mape


def test_the_seasonal_part_is_fitted_on_the_days_up_to_its_cut_and_repeated_after():
    from fuelopt.ml.demand import _meta
    from fuelopt.ml.demand_pyfunc import seasonal_part, to_daily

    cfg = get_settings().ml.demand
    stat = _meta(cfg, [7])["stat"]
    y = to_daily(_annual(0), list(cfg.exogenous))["fuel_l"].to_numpy()
    cut = 760
    tampered = y.copy()
    tampered[cut + 1 :] *= 2.0
    part = seasonal_part(y, cut, stat, len(y) + 30)
    assert part == pytest.approx(seasonal_part(tampered, cut, stat, len(y) + 30))
    assert part[: cut + 1] != pytest.approx(seasonal_part(y * 1.5, cut, stat, cut + 1))
    weekly = seasonal_part(y, cut, {**stat, "mstl_season_lengths": [7]}, len(y) + 30)
    assert weekly[cut + 1 :] == pytest.approx(weekly[cut + 1 - 7 : -7])
    assert weekly[: cut + 1] != pytest.approx(part[: cut + 1])
    # too short for any season: no adjustment
    assert not seasonal_part(y[:10], 9, stat, 20).any()


def test_the_ensemble_forecasts_the_mean_of_its_members():
    from fuelopt.ml.demand import _meta
    from fuelopt.ml.demand_pyfunc import predict_horizon, stat_path, to_daily

    cfg = _cfg(ensemble_members=["AutoETS", "MSTL"])
    daily = to_daily(_trending(120), list(cfg.exogenous))
    y = daily["fuel_l"].to_numpy()
    meta = _meta(cfg, [7])
    origins = np.array([90, len(y) - 1])
    pred = predict_horizon(daily, origins, 7, {"kind": "ensemble"}, None, meta)
    members = [
        [stat_path(y[: o + 1], m, meta["stat"], 7)[-1] for o in origins] for m in meta["ensemble"]
    ]
    assert pred == pytest.approx(np.mean(members, axis=0))
    assert not np.allclose(members[0], members[1])


def _saved_and_loaded(model, tmp_path):
    """The demand model saved as the training DAG saves it, loaded back as MLflow serves it."""
    import mlflow

    from fuelopt.ml.demand import PYFUNC_CODE, pip_requirements, write_artifacts

    path = tmp_path / "pyfunc"
    mlflow.pyfunc.save_model(
        str(path),
        python_model=str(PYFUNC_CODE),
        artifacts=write_artifacts(model, tmp_path / "model"),
        pip_requirements=pip_requirements(),
    )
    return mlflow.pyfunc.load_model(str(path))


def test_the_saved_pyfunc_serves_the_chosen_candidate_refitted_on_its_input(tmp_path):
    from fuelopt.ml.demand import fit_demand, pip_requirements
    from fuelopt.ml.demand_pyfunc import FORECAST_COLUMNS, STAT_MODELS, stat_path, to_daily

    frame = _trending(150, seed=6)
    cfg = _cfg(
        candidates=["snaive", "AutoETS", "DynamicOptimizedTheta"], fallback_candidate="snaive"
    )
    model = fit_demand(frame, cfg, HORIZONS, seed=3)
    assert {s["kind"] for s in model.meta["horizons"].values()} <= set(STAT_MODELS)
    assert any(r.startswith("statsforecast==") for r in pip_requirements())
    served = _saved_and_loaded(model, tmp_path)
    history = frame.iloc[:-10]
    fc = served.predict(history)
    assert list(fc.columns) == FORECAST_COLUMNS
    y = to_daily(history, [])["fuel_l"].to_numpy()
    for row in fc.itertuples():
        kind = model.meta["horizons"][str(row.horizon_days)]["kind"]
        expected = stat_path(y, kind, model.meta["stat"], row.horizon_days)[-1]
        assert row.pred == pytest.approx(expected)
        assert row.lo95 <= row.lo80 < row.pred < row.hi80 <= row.hi95


def test_the_saved_pyfunc_serves_an_ensemble_of_both_boosted_candidates(tmp_path):

    from fuelopt.ml.demand import fit_demand
    from fuelopt.ml.demand_pyfunc import BOOSTED, forecast

    frame = _trending(150, seed=6)
    cfg = _cfg(
        candidates=["snaive", *BOOSTED, "ensemble"],
        ensemble_members=list(BOOSTED),
        selection_margin_pct=99.0,
    )
    model = fit_demand(frame, cfg, HORIZONS, seed=3)
    for h in HORIZONS:
        spec = model.meta["horizons"][str(h)]
        assert spec["kind"] == "ensemble"
        assert set(spec["files"]) == set(BOOSTED) == set(model.boosters[h])
    history = frame.iloc[:-10]
    served = _saved_and_loaded(model, tmp_path).predict(history)
    pd.testing.assert_frame_equal(served, forecast(history, model.meta, model.boosters))
    alone = {h: {"xgboost": b["xgboost"]} for h, b in model.boosters.items()}
    assert not np.allclose(served["pred"], forecast(history, model.meta, alone)["pred"])


def test_the_annual_season_is_removed_as_a_smoothed_mean_cycle():
    """Two and a half years with 4 % day-to-day noise: the smoothed mean cycle is nearer
    the true annual season than MSTL's day-by-day fit."""
    from fuelopt.ml.demand import _meta
    from fuelopt.ml.demand_pyfunc import seasonal_part

    days, phase = 900, 40
    rng = np.random.default_rng(5)
    season = 12_500 * np.sin(2 * np.pi * (np.arange(days) + phase) / 365.25)
    y = 50_000 + season + rng.normal(0, 2_000, days)
    stat = {**_meta(get_settings().ml.demand, [7])["stat"], "mstl_season_lengths": [365]}
    errors = {}
    for name, update in {
        "as fitted": {"smooth_from_days": 10_000},
        "smoothed mean cycle": {"smoothing_half_width_days": 30},
    }.items():
        part = seasonal_part(y, days - 1, {**stat, **update}, days)
        errors[name] = float(np.sqrt(np.mean((part - (season - season.mean())) ** 2)))
    assert errors["smoothed mean cycle"] < 0.8 * errors["as fitted"], errors  # 0.75 measured
