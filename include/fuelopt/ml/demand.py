"""Fuel demand forecast: site diesel per day at 7/15/30-day horizons. Candidates (seasonal naive,
direct XGBoost on lag/calendar/plan features, the same on the MSTL-deseasonalised series,
statsforecast AutoETS, DynamicOptimizedTheta and MSTL, and a mean of several;
fuelopt.ml.demand_pyfunc) forecast every walk-forward fold; per horizon the candidate with
the lowest fold MAPE serves, and its 80 %/95 % intervals are split-conformal on its fold log-ratio
residuals."""

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
    BOOSTED,
    ENSEMBLE,
    QUANTILES,
    STAT_MODELS,
    boosted_design,
    combine,
    forecast,
    interval_frame,
    numpy_matrix,
    predict_horizon,
    seasonal_part,
    snaive_values,
    stat_path,
    to_daily,
)
from fuelopt.ml.settings import DemandModelSettings
from fuelopt.ml.walk_forward import interval_metrics, regression_metrics

PYFUNC_CODE = Path(__file__).with_name("demand_pyfunc.py")


@dataclass
class DemandModel:
    meta: dict[str, Any]
    boosters: dict[int, dict[str, Any]]  # per horizon, the boosted candidates it serves
    cv: pd.DataFrame  # one row per fold cutoff, origin and horizon (out-of-fold predictions)
    summary: dict[int, dict[str, float]]
    candidates: pd.DataFrame  # every candidate's fold errors per horizon, and which was chosen


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
        "stat": cfg.stat.model_dump(),
        "ensemble": list(cfg.ensemble_members),
        "horizons": {str(h): {"kind": "snaive"} for h in horizons},
    }


def _training_rows(daily, h: int, last_target: int, meta: dict[str, Any], kind: str, seasonal):
    """Design rows of a boosted candidate whose target day ``origin + h`` is at most position
    ``last_target``; the target is the (deseasonalised) day scaled by the origin's level."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    start = max(0, int(meta["level_window_days"]) // 2 - 1)
    origins = np.arange(start, last_target - h + 1)
    if not len(origins):
        return None, None, origins
    x, level, part = boosted_design(daily, origins, h, kind, meta, last_target, seasonal)
    target = (y[origins + h] - part) / level
    ok = np.isfinite(target) & (level > 0)
    return x[ok].reset_index(drop=True), target[ok], origins[ok]


def _fit_horizon(
    daily, h, last_target, meta, cfg: DemandModelSettings, seed: int, kind="xgboost", seasonal=None
):
    """(spec, booster) of one boosted candidate at one horizon, trained on targets up to
    ``last_target`` (``seasonal``: its seasonal part fitted up to there, if known); seasonal
    naive when there are too few rows."""
    import xgboost as xgb

    x, target, _ = _training_rows(daily, h, last_target, meta, kind, seasonal)
    if x is None or len(x) < cfg.min_train_rows:
        return {"kind": "snaive"}, None
    params = {"objective": "reg:squarederror", "seed": seed, **cfg.xgb_params}
    dtrain = numpy_matrix(x, list(x.columns), label=target)
    booster = xgb.train(params, dtrain, num_boost_round=cfg.num_boost_round)
    return {"kind": kind, "features": list(x.columns)}, booster


def demand_cutoffs(n: int, cfg: DemandModelSettings) -> list[int]:
    """Fold cutoff positions: a fold trains on targets ≤ cutoff and forecasts from origins in
    ``[cutoff, cutoff + test_days)``, so every feature and label predates its forecasts."""
    wf = cfg.walk_forward
    first = min(wf.initial_days, max(cfg.level_window_days, int(n * wf.fallback_initial_fraction)))
    cuts = list(range(first, n - 1, wf.step_days))
    return cuts[-wf.max_folds :]


def _column(candidate: str) -> str:
    return f"pred_{candidate}"


def _stat_paths(y: np.ndarray, cut: int, steps: int, cfg: DemandModelSettings) -> dict:
    """Each statistical candidate fitted on the days up to ``cut``: its next ``steps`` days."""
    stat = cfg.stat.model_dump()
    return {c: stat_path(y[: cut + 1], c, stat, steps) for c in cfg.candidates if c in STAT_MODELS}


def _seasonal(y: np.ndarray, upto: int, cfg: DemandModelSettings, length: int):
    """``xgboost_sa``'s seasonal part fitted up to ``upto`` (one MSTL fit shared by every
    horizon), or None when it is not a candidate."""
    if "xgboost_sa" not in cfg.candidates:
        return None
    return seasonal_part(y, upto, cfg.stat.model_dump(), length)


def _fold_predictions(daily, cut, origins, h, paths, seasonal, cfg, seed) -> dict[str, np.ndarray]:
    """Every candidate's forecasts of ``origin + h`` in one fold (models fitted up to ``cut``;
    a statistical model forecasts ``origin - cut + h`` days ahead of the cutoff; ``seasonal``
    is the seasonal part fitted up to ``cut``)."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    fallback = predict_horizon(
        daily, origins, h, {"kind": "snaive"}, None, {"level_window_days": cfg.level_window_days}
    )
    out = {}
    for c in cfg.candidates:
        if c in BOOSTED:
            meta = _meta(cfg, [h])
            spec, booster = _fit_horizon(daily, h, cut, meta, cfg, seed, c, seasonal)
            out[c] = predict_horizon(daily, origins, h, spec, {c: booster}, meta, seasonal)
        elif c in paths:
            pred = paths[c][origins - cut + h - 1]
            out[c] = np.where(np.isfinite(pred), pred, fallback)
        else:
            out[c] = fallback
    if ENSEMBLE in out:
        out[ENSEMBLE] = combine([out[m] for m in cfg.ensemble_members])
    return {"snaive": snaive_values(y, origins, h), **{_column(c): v for c, v in out.items()}}


def walk_forward(daily: pd.DataFrame, cfg: DemandModelSettings, horizons, seed: int):
    """Out-of-fold forecasts of every candidate and of seasonal naive, one row per (cutoff,
    origin, h); ``pred`` is the candidate chosen on the forecasts known at each origin."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    n = len(daily)
    frames = []
    steps = cfg.walk_forward.test_days + max(horizons) - 1
    for fold, cut in enumerate(demand_cutoffs(n, cfg)):
        test_origins = np.arange(cut, min(cut + cfg.walk_forward.test_days, n))
        paths = _stat_paths(y, cut, steps, cfg)
        seasonal = _seasonal(y, cut, cfg, n + max(horizons))
        for h in horizons:
            origins = test_origins[test_origins + h < n]
            if not len(origins):
                continue
            preds = _fold_predictions(daily, cut, origins, h, paths, seasonal, cfg, seed)
            frames.append(
                pd.DataFrame(
                    {
                        "fold": fold,
                        "cutoff": daily.index[cut].date(),
                        "origin": daily.index[origins].date,
                        "horizon_days": h,
                        "target_date": daily.index[origins + h].date,
                        "actual": y[origins + h],
                        **preds,
                    }
                )
            )
    columns = ["fold", "cutoff", "origin", "horizon_days", "target_date", "actual", "snaive"]
    cv = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    if len(cv):
        cv = cv[np.isfinite(cv["actual"]) & (cv["actual"] > 0)].reset_index(drop=True)
    return choose_sequentially(cv, cfg)


def _mape(actual: np.ndarray, pred: np.ndarray) -> float:
    ok = np.isfinite(actual) & np.isfinite(pred) & (actual > 0)
    return float(np.mean(np.abs(pred[ok] - actual[ok]) / actual[ok]) * 100) if ok.any() else np.inf


def best_candidate(rows: pd.DataFrame, cfg: DemandModelSettings) -> str:
    """The candidate with the lowest MAPE on ``rows`` (first listed on a tie) when it beats the
    fallback's by ``selection_margin_pct``; else the fallback, also when there are fewer than
    ``min_selection_forecasts`` rows."""
    fallback = cfg.fallback_candidate
    if len(rows) < cfg.min_selection_forecasts:
        return fallback
    actual = rows["actual"].to_numpy(dtype=float)
    errors = {c: _mape(actual, rows[_column(c)].to_numpy(dtype=float)) for c in cfg.candidates}
    best = min(errors, key=lambda c: (errors[c], cfg.candidates.index(c)))
    clear = errors[best] < (1 - cfg.selection_margin_pct / 100) * errors[fallback]
    return (
        best
        if np.isfinite(errors[best]) and (clear or not np.isfinite(errors[fallback]))
        else fallback
    )


def choose_sequentially(cv: pd.DataFrame, cfg: DemandModelSettings) -> pd.DataFrame:
    """``kind``/``pred``: at each origin and horizon, the candidate best on the earlier forecasts
    (target day before the origin) of that horizon, or of all horizons while that horizon has
    too few; never chosen on the forecast being scored."""
    if not len(cv):
        return cv.assign(kind=pd.Series(dtype=str), pred=pd.Series(dtype=float))
    target = pd.to_datetime(cv["target_date"]).to_numpy()
    horizon = cv["horizon_days"].to_numpy()
    kinds = pd.Series(cfg.fallback_candidate, index=cv.index)
    for (origin, h), group in cv.groupby(["origin", "horizon_days"]):
        known = target < np.datetime64(pd.Timestamp(origin))
        own = known & (horizon == h)
        rows = cv[own] if own.sum() >= cfg.min_selection_forecasts else cv[known]
        kinds[group.index] = best_candidate(rows, cfg)
    picked = [cv.at[i, _column(k)] for i, k in kinds.items()]
    return cv.assign(kind=kinds, pred=np.asarray(picked, dtype=float))


def candidate_errors(cv: pd.DataFrame, cfg: DemandModelSettings, horizons) -> pd.DataFrame:
    """Every candidate's fold MAPE/MAE per horizon and whether it was chosen."""
    rows = []
    for h in horizons:
        g = cv[cv["horizon_days"] == h] if len(cv) else cv
        chosen = best_candidate(g, cfg)
        for c in cfg.candidates:
            m = (
                regression_metrics(g["actual"], g[_column(c)])
                if len(g)
                else {"mape_pct": np.nan, "mae": np.nan}
            )
            rows.append(
                {
                    "horizon_days": int(h),
                    "candidate": c,
                    "mape_pct": m["mape_pct"],
                    "mae_l": m["mae"],
                    "forecasts": len(g),
                    "chosen": c == chosen,
                }
            )
    return pd.DataFrame(rows)


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


def _calibration(daily, cv, h, kind: str, cfg: DemandModelSettings) -> dict[str, float]:
    """Interval quantiles of horizon h: the chosen candidate's walk-forward residuals at h, else
    at all horizons, else seasonal naive's over the whole history (always available)."""
    own = cv[cv["horizon_days"] == h] if len(cv) else cv
    candidates = []
    if len(own):
        candidates.append(_log_ratio(own["actual"], own[_column(kind)]))
    if len(cv):
        candidates.append(_log_ratio(cv["actual"], cv[_column(kind)]))
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
    """Walk-forward validation of every candidate, the choice and calibration per horizon, then
    the final models (XGBoost boosters; statistical models are refitted when serving)."""
    daily = to_daily(frame, list(cfg.exogenous))
    cv = walk_forward(daily, cfg, horizons, seed)
    choice = candidate_errors(cv, cfg, horizons)
    meta = _meta(cfg, horizons)
    boosters: dict[int, dict[str, Any]] = {}
    seasonal = _seasonal(daily["fuel_l"].to_numpy(dtype=float), len(daily) - 1, cfg, len(daily))
    for h in horizons:
        kind = choice.loc[(choice["horizon_days"] == h) & choice["chosen"], "candidate"].iloc[0]
        spec: dict[str, Any] = {"kind": kind}
        served = [kind] if kind in BOOSTED else cfg.ensemble_members if kind == ENSEMBLE else []
        for boosted in (b for b in BOOSTED if b in served):
            last = len(daily) - 1
            fitted, booster = _fit_horizon(daily, h, last, meta, cfg, seed, boosted, seasonal)
            if booster is not None:
                spec["features"] = fitted["features"]
                spec.setdefault("files", {})[boosted] = f"h{h}_{boosted}.json"
                boosters.setdefault(h, {})[boosted] = booster
        spec["quantiles"] = _calibration(daily, cv, h, spec["kind"], cfg)
        meta["horizons"][str(h)] = spec
    meta["data_window"] = [str(daily.index.min().date()), str(daily.index.max().date())]
    meta["max_daily_fuel_l"] = float(np.nanmax(daily["fuel_l"]))
    return DemandModel(meta, boosters, cv, summarize(cv, cfg), choice)


def forecast_from_history(
    frame: pd.DataFrame, cfg: DemandModelSettings, horizons: list[int], seed: int
) -> pd.DataFrame:
    """Train on the history and forecast each horizon from its last day (docs/contracts.md §3)."""
    model = fit_demand(frame, cfg, horizons, seed)
    return forecast(frame, model.meta, model.boosters)


def pip_requirements() -> list[str]:
    """What the saved pyfunc needs: the cycle model's set and statsforecast."""
    import statsforecast

    from fuelopt.ml.cycle_model import pip_requirements as base

    return [*base(), f"statsforecast=={statsforecast.__version__}"]


def write_artifacts(model: DemandModel, folder: Path) -> dict[str, str]:
    """Boosters and meta in one folder, the ``model_dir`` artifact of the pyfunc."""
    folder.mkdir(parents=True, exist_ok=True)
    for h, by_kind in model.boosters.items():
        for kind, booster in by_kind.items():
            booster.save_model(str(folder / model.meta["horizons"][str(h)]["files"][kind]))
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
