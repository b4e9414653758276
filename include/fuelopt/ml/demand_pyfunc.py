"""The fuel demand forecast as an MLflow "model from code": per horizon, the candidate chosen on
the walk-forward folds (seasonal naive, direct XGBoost on lag/calendar/plan features, the same on
the MSTL-deseasonalised series, a statsforecast model refitted on the history it is given, or a
mean of several) with conformal intervals.

Self-contained (numpy, pandas, xgboost, statsforecast, mlflow only) so the saved model loads
without fuelopt. Training (fuelopt.ml.demand) imports the feature and model code from here.
``predict(daily)`` takes the history (``date``, ``fuel_l``, optional exogenous columns) and
returns, for each horizon h, the forecast of day ``last date + h``:
``horizon_days, target_date, pred, lo80, hi80, lo95, hi95``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORECAST_COLUMNS = ["horizon_days", "target_date", "pred", "lo80", "hi80", "lo95", "hi95"]
QUANTILES = {"lo95": 0.025, "lo80": 0.10, "hi80": 0.90, "hi95": 0.975}
STAT_MODELS = ("AutoETS", "DynamicOptimizedTheta", "MSTL")
ENSEMBLE = "ensemble"  # the mean of the configured members' forecasts
# Direct XGBoost per horizon on a level-scaled target: on the series itself, and on the series
# less its MSTL seasonal components (added back to the forecast), so an annual season seen in
# the history is carried forward rather than learnt from too few years of calendar features.
BOOSTED = ("xgboost", "xgboost_sa")


def to_daily(frame: pd.DataFrame, exogenous: list[str]) -> pd.DataFrame:
    """One row per calendar day (gaps become missing), sorted, up to the last day with fuel."""
    df = frame.copy()
    df["date"] = pd.to_datetime(df["date"]).dt.tz_localize(None).dt.normalize()
    cols = ["fuel_l", *[c for c in exogenous if c in df.columns]]
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df = df.groupby("date", sort=True)[cols].sum(min_count=1)
    last = df["fuel_l"].last_valid_index()
    df = df.loc[:last]
    full = pd.date_range(df.index.min(), df.index.max(), freq="D", name="date")
    df = df.reindex(full)
    for c in exogenous:
        if c not in df.columns:
            df[c] = np.nan
    return df[["fuel_l", *exogenous]]


def _rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    return pd.Series(values).rolling(window, min_periods=max(1, window // 2)).mean().to_numpy()


def snaive_values(y: np.ndarray, origins: np.ndarray, h: int) -> np.ndarray:
    """Seasonal naive: the same weekday in the last week observed at the origin."""
    src = origins + h - 7 * math.ceil(h / 7)
    out = np.full(len(origins), np.nan)
    ok = (src >= 0) & (src < len(y))
    out[ok] = y[src[ok]]
    return out


def filled(y: np.ndarray) -> np.ndarray:
    """The series with missing days interpolated (edges carried), for the statistical models."""
    return pd.Series(y).interpolate(limit_direction="both").to_numpy(dtype=float)


def _seasons(n: int, stat: dict[str, Any]) -> list[int]:
    """The MSTL season lengths with ``min_seasons`` full cycles in ``n`` days."""
    return [int(s) for s in stat["mstl_season_lengths"] if n >= int(stat["min_seasons"]) * int(s)]


def stat_model(name: str, stat: dict[str, Any], n: int):
    """The statsforecast model ``name`` for a history of ``n`` days: a season is modelled only
    with ``min_seasons`` full cycles of it; None when MSTL has no such season."""
    from statsforecast.models import MSTL, AutoETS, DynamicOptimizedTheta

    def fits(length: int) -> bool:
        return n >= int(stat["min_seasons"]) * length

    season = int(stat["season_length"]) if fits(int(stat["season_length"])) else 1
    if name == "AutoETS":
        return AutoETS(season_length=season)
    if name == "DynamicOptimizedTheta":
        return DynamicOptimizedTheta(season_length=season)
    seasons = _seasons(n, stat)
    return MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN")) if seasons else None


def stat_path(y: np.ndarray, name: str, stat: dict[str, Any], steps: int) -> np.ndarray:
    """Forecasts of the ``steps`` days after the end of ``y`` by the statistical model ``name``;
    NaN (the caller falls back to seasonal naive) when the model cannot be fitted."""
    series = filled(y)
    model = stat_model(name, stat, len(series))
    if model is None or not np.isfinite(series).all():
        return np.full(steps, np.nan)
    try:
        mean = model.forecast(y=series, h=steps)["mean"]
    except Exception:  # an optimiser failing on an odd series: this candidate sits out
        return np.full(steps, np.nan)
    return np.clip(np.asarray(mean, dtype=float), 0.0, None)


def _long_season(component: np.ndarray, period: int, half_width: int, length: int) -> np.ndarray:
    """A long season over ``length`` days: the mean of its last full cycles position by
    position, smoothed by a circular moving mean of ``2 * half_width + 1`` days (two or three
    cycles of a year leave the daily values mostly noise)."""
    cycles = len(component) // period
    start = len(component) - cycles * period
    profile = component[start:].reshape(cycles, period).mean(axis=0)
    if half_width:
        wrapped = np.concatenate([profile[-half_width:], profile, profile[:half_width]])
        window = np.ones(2 * half_width + 1) / (2 * half_width + 1)
        profile = np.convolve(wrapped, window, mode="valid")
    return profile[(np.arange(length) - start) % period]


def seasonal_part(y: np.ndarray, upto: int, stat: dict[str, Any], length: int) -> np.ndarray:
    """The sum of MSTL's seasonal components of ``y[: upto + 1]`` over ``length`` days, fitted
    up to ``upto``: a short season as fitted, repeated by its period after it (as MSTL forecasts
    it); a season of at least ``smooth_from_days`` as its smoothed mean cycle. Zero when no
    season has ``min_seasons`` cycles of history or the decomposition fails."""
    from statsforecast.mstl import mstl

    series = filled(y[: upto + 1])
    seasons = _seasons(len(series), stat)
    out = np.zeros(length)
    if not seasons or not np.isfinite(series).all():
        return out
    try:
        parts = mstl(series, period=seasons)
    except Exception:  # an odd series the decomposition cannot take: no seasonal adjustment
        return out
    for s in seasons:
        column = f"seasonal{s}" if len(seasons) > 1 else "seasonal"  # mstl's naming
        fitted = parts[column].to_numpy(dtype=float)
        if s >= int(stat["smooth_from_days"]):
            out += _long_season(fitted, s, int(stat["smoothing_half_width_days"]), length)
            continue
        comp = np.empty(length)
        known = min(len(fitted), length)
        comp[:known] = fitted[:known]
        for t in range(known, length):
            comp[t] = comp[t - s]
        out += comp
    return out


def boosted_design(daily, origins: np.ndarray, h: int, kind: str, meta, upto: int, seasonal=None):
    """(features, level, seasonal part of each target day) of a boosted candidate: for
    ``xgboost_sa`` on the series less its seasonal part fitted on the days up to ``upto``
    (``seasonal``, from ``seasonal_part``, when the caller has it already)."""
    if kind == "xgboost":
        x, level = design(daily, origins, h, meta)
        return x, level, np.zeros(len(origins))
    y = daily["fuel_l"].to_numpy(dtype=float)
    length = max(len(y), int(origins.max()) + h + 1)
    if seasonal is None or len(seasonal) < length:
        seasonal = seasonal_part(y, upto, meta["stat"], length)
    x, level = design(daily.assign(fuel_l=y - seasonal[: len(y)]), origins, h, meta)
    return x, level, seasonal[origins + h]


def design(daily: pd.DataFrame, origins: np.ndarray, h: int, meta: dict[str, Any]):
    """Features at each origin position (data up to the origin only) and the level they are
    scaled by; the model predicts ``fuel(origin + h) / level``."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    window = int(meta["level_window_days"])
    level = _rolling_mean(y, window)[origins]
    feats: dict[str, np.ndarray] = {}
    for lag in meta["lags"]:
        src = origins - lag + 1
        vals = np.where(src >= 0, y[np.clip(src, 0, None)], np.nan)
        feats[f"lag{lag}"] = vals / level
    feats["snaive"] = snaive_values(y, origins, h) / level
    weeks = [snaive_values(y, origins - 7 * k, h) for k in range(4)]
    feats["snaive_mean4"] = np.nanmean(np.vstack(weeks), axis=0) / level if weeks else np.nan
    feats["level_trend"] = level / _rolling_mean(y, 4 * window)[origins]
    for col in meta["exogenous"]:
        x = daily[col].to_numpy(dtype=float)
        xm = _rolling_mean(x, window)
        with np.errstate(divide="ignore", invalid="ignore"):
            feats[f"{col}_ratio"] = x[origins] / xm[origins]
            feats[f"{col}_per_level"] = xm[origins] / level
    target_dates = daily.index[0] + pd.to_timedelta(origins + h, unit="D")
    feats["target_dow"] = np.asarray(target_dates.day_of_week, dtype=float)
    feats["target_dom"] = np.asarray(target_dates.day, dtype=float)
    return pd.DataFrame(feats), level


def numpy_matrix(x: pd.DataFrame, features: list[str], label=None):
    """An XGBoost DMatrix built from a float numpy array of ``features`` (named)."""
    import xgboost as xgb

    return xgb.DMatrix(x[features].to_numpy(dtype=float), label=label, feature_names=features)


def interval_frame(pred: np.ndarray, q: dict[str, float]) -> dict[str, np.ndarray]:
    """Intervals from log-ratio residual quantiles, forced into lo95 ≤ lo80 ≤ pred ≤ hi80 ≤ hi95."""
    lo80 = np.minimum(pred * np.exp(q["lo80"]), pred)
    lo95 = np.minimum(pred * np.exp(q["lo95"]), lo80)
    hi80 = np.maximum(pred * np.exp(q["hi80"]), pred)
    hi95 = np.maximum(pred * np.exp(q["hi95"]), hi80)
    return {"lo80": lo80, "hi80": hi80, "lo95": lo95, "hi95": hi95}


def combine(preds: list[np.ndarray]) -> np.ndarray:
    """Mean of the members' forecasts that are finite (NaN where none is)."""
    stack = np.vstack(preds)
    ok = np.isfinite(stack)
    total = np.where(ok, stack, 0.0).sum(axis=0)
    return np.where(ok.any(axis=0), total / np.maximum(ok.sum(axis=0), 1), np.nan)


def _member_forecast(daily, origins, h, kind, spec, boosters, meta, seasonal) -> np.ndarray:
    """One model's forecasts of ``origin + h`` (NaN where it has none). A boosted model's
    seasonal part is fitted on the days up to the earliest origin."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    if kind in BOOSTED and boosters.get(kind) is not None:
        upto = int(origins.min())
        x, level, part = boosted_design(daily, origins, h, kind, meta, upto, seasonal)
        return boosters[kind].predict(numpy_matrix(x, spec["features"])) * level + part
    if kind in STAT_MODELS:
        return np.array([stat_path(y[: o + 1], kind, meta["stat"], h)[-1] for o in origins])
    return np.full(len(origins), np.nan)


def predict_horizon(daily, origins, h, spec, boosters, meta, seasonal=None) -> np.ndarray:
    """Point forecasts of ``origin + h`` for each origin: a boosted model (``boosters`` by
    candidate), a statistical model fitted on the history up to the origin, the mean of the
    ``ensemble`` members, or seasonal naive (also wherever the others have no forecast).
    ``seasonal``: ``xgboost_sa``'s seasonal part fitted up to the earliest origin, if known."""
    y = daily["fuel_l"].to_numpy(dtype=float)
    boosters = boosters or {}
    base = snaive_values(y, origins, h)
    level = _rolling_mean(y, int(meta["level_window_days"]))[origins]
    base = np.where(np.isfinite(base), base, level)
    if spec["kind"] == ENSEMBLE:
        members = [
            base
            if m == "snaive"
            else _member_forecast(daily, origins, h, m, spec, boosters, meta, seasonal)
            for m in meta["ensemble"]
        ]
        pred = combine(members)
    else:
        pred = _member_forecast(daily, origins, h, spec["kind"], spec, boosters, meta, seasonal)
    return np.clip(np.where(np.isfinite(pred), pred, base), 0.0, None)


def forecast(daily_frame: pd.DataFrame, meta: dict[str, Any], boosters: dict) -> pd.DataFrame:
    """The forecast frame for every horizon in ``meta`` from the end of the given history."""
    daily = to_daily(daily_frame, meta["exogenous"])
    origin = np.array([len(daily) - 1])
    rows = []
    for h_text, spec in meta["horizons"].items():
        h = int(h_text)
        pred = predict_horizon(daily, origin, h, spec, boosters.get(h, {}), meta)
        band = interval_frame(pred, spec["quantiles"])
        rows.append(
            {
                "horizon_days": h,
                "target_date": (daily.index[-1] + pd.Timedelta(days=h)).date(),
                "pred": float(pred[0]),
                **{k: float(v[0]) for k, v in band.items()},
            }
        )
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def load_boosters(folder: str | Path, meta: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Each horizon's boosters by candidate, from the files its spec names."""
    import xgboost as xgb

    boosters: dict[int, dict[str, Any]] = {}
    for h_text, spec in meta["horizons"].items():
        for kind, name in spec.get("files", {}).items():
            b = xgb.Booster()
            b.load_model(str(Path(folder) / name))
            boosters.setdefault(int(h_text), {})[kind] = b
    return boosters


try:
    import mlflow
    from mlflow.pyfunc import PythonModel
except ImportError:  # training without mlflow never needs the wrapper
    PythonModel = object  # type: ignore[assignment,misc]


class DemandForecastModel(PythonModel):
    """pyfunc: ``predict(daily history)`` -> one forecast row per horizon."""

    def load_context(self, context) -> None:
        folder = Path(context.artifacts["model_dir"])
        self.meta = json.loads((folder / "meta.json").read_text())
        self.boosters = load_boosters(folder, self.meta)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return forecast(pd.DataFrame(model_input), self.meta, self.boosters)


if __name__ != "fuelopt.ml.demand_pyfunc" and PythonModel is not object:
    mlflow.models.set_model(DemandForecastModel())
