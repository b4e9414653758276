"""Fuel demand forecast: site diesel per day at 7/15/30-day horizons. One direct XGBoost model per
horizon on lag/calendar/plan features (fuelopt.ml.demand_pyfunc), validated walk-forward against
seasonal naive; 80 %/95 % intervals are split-conformal on the walk-forward log-ratio residuals."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuelopt.config import get_settings
from fuelopt.errors import BadInput
from fuelopt.frames import numeric_column
from fuelopt.ml.demand_pyfunc import (
    QUANTILES,
    design,
    forecast,
    interval_frame,
    predict_horizon,
    snaive_values,
    to_daily,
)
from fuelopt.ml.settings import DemandModelSettings
from fuelopt.ml.walk_forward import interval_metrics, regression_metrics

PYFUNC_CODE = Path(__file__).with_name("demand_pyfunc.py")


@dataclass
class DemandModel:
    meta: dict[str, Any]
    boosters: dict[int, Any]
    cv: pd.DataFrame  # one row per fold cutoff, origin and horizon (out-of-fold predictions)
    summary: dict[int, dict[str, float]]


def validate_daily(frame: pd.DataFrame, cfg: DemandModelSettings, source: str) -> pd.DataFrame:
    """Checked daily series (``date``, ``fuel_l``, exogenous), or BadInput naming the fault."""
    for col in ("date", "fuel_l"):
        if col not in frame.columns:
            raise BadInput(f"{source}: missing column {col}")
    dates = pd.to_datetime(frame["date"], errors="coerce", utc=False, format="mixed")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise BadInput(f"{source}: row {row + 1}, field date: not a date")
    max_abs = get_settings().ml.max_abs_value
    for col in ["fuel_l", *[c for c in cfg.exogenous if c in frame.columns]]:
        numeric_column(frame, col, source, max_abs=max_abs, min_value=0)
    if dates.duplicated().any():
        row = int(np.flatnonzero(dates.duplicated().to_numpy())[0])
        raise BadInput(
            f"{source}: row {row + 1}, field date: duplicate day {dates.iloc[row].date()}"
        )
    out = frame.assign(date=dates)
    observed = pd.to_numeric(out["fuel_l"], errors="coerce").notna().sum()
    if observed < cfg.min_history_days:
        raise BadInput(
            f"{source}: {observed} days with fuel_l; at least {cfg.min_history_days} needed"
        )
    return out


def _meta(cfg: DemandModelSettings, horizons: list[int]) -> dict[str, Any]:
    return {
        "lags": list(cfg.lags),
        "level_window_days": cfg.level_window_days,
        "exogenous": list(cfg.exogenous),
        "horizons": {str(h): {"kind": "snaive"} for h in horizons},
    }


def _training_rows(daily: pd.DataFrame, h: int, last_target: int, meta: dict[str, Any]):
    """Design rows whose target day ``origin + h`` is at most position ``last_target``."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    start = max(0, int(meta["level_window_days"]) // 2 - 1)
    origins = np.arange(start, last_target - h + 1)
    if not len(origins):
        return None, None, origins
    x, level = design(daily, origins, h, meta)
    target = y[origins + h] / level
    ok = np.isfinite(target) & (level > 0)
    return x[ok].reset_index(drop=True), target[ok], origins[ok]


def _fit_horizon(daily, h, last_target, meta, cfg: DemandModelSettings, seed: int):
    """(spec, booster) of one horizon trained on targets up to ``last_target``."""
    import xgboost as xgb

    x, target, _ = _training_rows(daily, h, last_target, meta)
    if x is None or len(x) < cfg.min_train_rows:
        return {"kind": "snaive"}, None
    params = {"objective": "reg:squarederror", "seed": seed, **cfg.xgb_params}
    booster = xgb.train(params, xgb.DMatrix(x, label=target), num_boost_round=cfg.num_boost_round)
    return {"kind": "xgboost", "features": list(x.columns)}, booster


def demand_cutoffs(n: int, cfg: DemandModelSettings) -> list[int]:
    """Fold cutoff positions: a fold trains on targets ≤ cutoff and forecasts from origins in
    ``[cutoff, cutoff + test_days)``, so every feature and label predates its forecasts."""
    wf = cfg.walk_forward
    first = min(wf.initial_days, max(cfg.level_window_days, int(n * wf.fallback_initial_fraction)))
    cuts = list(range(first, n - 1, wf.step_days))
    return cuts[-wf.max_folds :]


def walk_forward(daily: pd.DataFrame, cfg: DemandModelSettings, horizons, seed: int):
    """Out-of-fold forecasts of the model and seasonal naive, one row per (cutoff, origin, h)."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    n = len(daily)
    rows = []
    for fold, cut in enumerate(demand_cutoffs(n, cfg)):
        test_origins = np.arange(cut, min(cut + cfg.walk_forward.test_days, n))
        for h in horizons:
            origins = test_origins[test_origins + h < n]
            if not len(origins):
                continue
            meta = _meta(cfg, horizons)
            spec, booster = _fit_horizon(daily, h, cut, meta, cfg, seed)
            pred = predict_horizon(daily, origins, h, spec, booster, meta)
            naive = snaive_values(y, origins, h)
            for o, p, s in zip(origins, pred, naive, strict=True):
                rows.append(
                    {
                        "fold": fold,
                        "cutoff": daily.index[cut].date(),
                        "origin": daily.index[o].date(),
                        "horizon_days": h,
                        "target_date": daily.index[o + h].date(),
                        "actual": y[o + h],
                        "pred": p,
                        "snaive": s,
                        "kind": spec["kind"],
                    }
                )
    cv = pd.DataFrame(rows)
    if len(cv):
        cv = cv[np.isfinite(cv["actual"]) & (cv["actual"] > 0)].reset_index(drop=True)
    return cv


def _conformal(residuals: np.ndarray) -> dict[str, float]:
    """Finite-sample-corrected quantiles of log(actual / pred) residuals."""
    r = np.sort(residuals[np.isfinite(residuals)])
    n = len(r)
    out = {}
    for name, level in QUANTILES.items():
        if level > 0.5:
            k = min(n - 1, math.ceil((n + 1) * level) - 1)
        else:
            k = max(0, math.floor((n + 1) * level) - 1)
        out[name] = float(r[k])
    return out


def _log_ratio(actual, pred) -> np.ndarray:
    actual, pred = np.asarray(actual, dtype=float), np.asarray(pred, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(actual / pred)


def _calibration(daily, cv, h, cfg: DemandModelSettings) -> dict[str, float]:
    """Interval quantiles of horizon h: its own walk-forward residuals, else all horizons',
    else seasonal naive's over the whole history (always available)."""
    own = cv[cv["horizon_days"] == h] if len(cv) else cv
    candidates = []
    if len(own):
        candidates.append(_log_ratio(own["actual"], own["pred"]))
    if len(cv):
        candidates.append(_log_ratio(cv["actual"], cv["pred"]))
    y = daily["fuel_l"].to_numpy(dtype=float)
    for hh in (h, 7):
        origins = np.arange(0, len(y) - hh)
        candidates.append(_log_ratio(y[origins + hh], snaive_values(y, origins, hh)))
    for r in candidates:
        r = r[np.isfinite(r)]
        if len(r) >= cfg.min_calibration_residuals:
            return _conformal(r)
    best = max(candidates, key=lambda r: np.isfinite(r).sum())
    if np.isfinite(best).sum() < 2:
        raise BadInput("daily series: too few observed days to calibrate intervals")
    return _conformal(best)


def sequential_intervals(cv: pd.DataFrame, cfg: DemandModelSettings) -> pd.DataFrame:
    """Honest interval check: each out-of-fold forecast gets intervals calibrated only on the
    residuals of forecasts whose target day was before its origin (own horizon, else pooled)."""
    out = []
    if not len(cv):
        return cv.assign(lo80=[], hi80=[], lo95=[], hi95=[])
    resid = _log_ratio(cv["actual"], cv["pred"])
    target = pd.to_datetime(cv["target_date"]).to_numpy()
    for origin, group in cv.groupby("origin"):
        known = target < np.datetime64(pd.Timestamp(origin))
        for idx, row in group.iterrows():
            own = resid[known & (cv["horizon_days"].to_numpy() == row["horizon_days"])]
            pool = resid[known]
            for r in (own, pool):
                r = r[np.isfinite(r)]
                if len(r) >= cfg.min_calibration_residuals:
                    band = interval_frame(np.array([row["pred"]]), _conformal(r))
                    out.append({"index": idx, **{k: float(v[0]) for k, v in band.items()}})
                    break
    if not out:
        return cv.iloc[0:0].assign(lo80=[], hi80=[], lo95=[], hi95=[])
    bands = pd.DataFrame(out).set_index("index")
    return cv.loc[bands.index].join(bands)


def summarize(cv: pd.DataFrame, cfg: DemandModelSettings) -> dict[int, dict[str, float]]:
    """Per-horizon MAE/RMSE/MAPE/R², seasonal naive MAPE, and interval coverage/width of
    sequentially calibrated intervals (never calibrated on the forecasts they are scored on)."""
    out: dict[int, dict[str, float]] = {}
    if not len(cv):
        return out
    banded = sequential_intervals(cv, cfg)
    for h, g in cv.groupby("horizon_days"):
        m = regression_metrics(g["actual"], g["pred"])
        naive = g[np.isfinite(g["snaive"])]
        m["snaive_mape_pct"] = regression_metrics(naive["actual"], naive["snaive"])["mape_pct"]
        m["snaive_mae"] = regression_metrics(naive["actual"], naive["snaive"])["mae"]
        b = banded[banded["horizon_days"] == h]
        for level in ("80", "95"):
            im = interval_metrics(b["actual"], b[f"lo{level}"], b[f"hi{level}"])
            m[f"coverage{level}_pct"] = im["coverage_pct"]
            m[f"width{level}"] = im["width"]
        m["n"] = float(len(g))
        m["n_interval"] = float(len(b))
        out[int(h)] = m
    return out


def fit_demand(
    frame: pd.DataFrame, cfg: DemandModelSettings, horizons: list[int], seed: int
) -> DemandModel:
    """Walk-forward validation and calibration, then the final per-horizon models."""
    daily = to_daily(frame, list(cfg.exogenous))
    cv = walk_forward(daily, cfg, horizons, seed)
    meta = _meta(cfg, horizons)
    boosters = {}
    for h in horizons:
        spec, booster = _fit_horizon(daily, h, len(daily) - 1, meta, cfg, seed)
        if booster is not None:
            spec["file"] = f"h{h}.json"
            boosters[h] = booster
        spec["quantiles"] = _calibration(daily, cv, h, cfg)
        meta["horizons"][str(h)] = spec
    meta["data_window"] = [str(daily.index.min().date()), str(daily.index.max().date())]
    meta["max_daily_fuel_l"] = float(np.nanmax(daily["fuel_l"]))
    return DemandModel(meta, boosters, cv, summarize(cv, cfg))


def forecast_from_history(
    frame: pd.DataFrame, cfg: DemandModelSettings, horizons: list[int], seed: int
) -> pd.DataFrame:
    """Train on the history and forecast each horizon from its last day (docs/contracts.md §3)."""
    model = fit_demand(frame, cfg, horizons, seed)
    return forecast(frame, model.meta, model.boosters)


def write_artifacts(model: DemandModel, folder: Path) -> dict[str, str]:
    """Boosters and meta in one folder, the ``model_dir`` artifact of the pyfunc."""
    folder.mkdir(parents=True, exist_ok=True)
    for h, booster in model.boosters.items():
        booster.save_model(str(folder / model.meta["horizons"][str(h)]["file"]))
    (folder / "meta.json").write_text(json.dumps(model.meta, indent=1, default=str))
    return {"model_dir": str(folder)}


def sanity_problems(forecast_frame: pd.DataFrame, max_daily: float, factor: float) -> list[str]:
    """Why a forecast is not plausible (empty list when it is)."""
    problems = []
    values = forecast_frame[["pred", "lo80", "hi80", "lo95", "hi95"]].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        problems.append("non-finite forecast")
    if (values < 0).any():
        problems.append("negative litres")
    if (forecast_frame["pred"] > factor * max_daily).any():
        problems.append(f"forecast above {factor} x the largest day seen ({max_daily:.0f} L)")
    f = forecast_frame
    if not (
        (f.lo95 <= f.lo80).all()
        and (f.lo80 <= f.pred).all()
        and (f.pred <= f.hi80).all()
        and (f.hi80 <= f.hi95).all()
    ):
        problems.append("intervals not ordered")
    return problems
