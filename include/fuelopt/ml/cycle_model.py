"""Cycle fuel model: litres per haul cycle, XGBoost (hist) on the raw cycle frame, validated
walk-forward against a physics baseline and a linear regression on the same folds."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuelopt import haul_physics
from fuelopt.config import get_settings
from fuelopt.errors import BadInput
from fuelopt.frames import numeric_column
from fuelopt.ml.cycle_pyfunc import engineer, physics_design
from fuelopt.ml.settings import CycleModelSettings
from fuelopt.ml.walk_forward import Fold, regression_metrics, time_folds

log = logging.getLogger(__name__)

PYFUNC_CODE = Path(__file__).with_name("cycle_pyfunc.py")
# Saved beside the pyfunc: the physics formula it shares with the optimiser.
PYFUNC_CODE_PATHS = (Path(haul_physics.__file__),)
ENGINEERED = [
    "grade_work_mj",
    "empty_climb_mj",
    "rolling_work_mj",
    "physics_work_mj",
    "moving_h",
    "queue_h",
    "rolling_resistance",
]
MODELS = ("xgboost", "physics", "linear")


@dataclass
class CycleCV:
    """Walk-forward result: one row per fold and model, and the mean metrics per model."""

    table: pd.DataFrame
    summary: dict[str, dict[str, float]]
    folds: list[Fold]
    oof: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class TrainedCycleModel:
    booster: Any
    meta: dict[str, Any]
    cv: CycleCV
    rows: int
    train_seconds: float
    data_window: tuple[str | None, str | None]
    cfg: CycleModelSettings  # as trained: the tuned hyper-parameters when tuning ran
    tuning: Any = None  # fuelopt.ml.tuning.TuningResult, or None


def validate_frame(frame: pd.DataFrame, cfg: CycleModelSettings, source: str) -> pd.DataFrame:
    """The usable rows of a cycle feature frame, or BadInput naming the column at fault."""
    needed = [cfg.target, *cfg.numeric_features, *cfg.categorical_features]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise BadInput(f"{source}: missing column(s) {', '.join(missing)}")
    max_abs = get_settings().ml.max_abs_value
    y = numeric_column(frame, cfg.target, source, max_abs=max_abs)
    for col in cfg.numeric_features:
        numeric_column(frame, col, source, max_abs=max_abs)
    keep = y.notna() & (y >= 0)
    frame = frame.loc[keep].copy()
    frame[cfg.target] = y[keep].astype(float)
    if len(frame) < cfg.min_rows:
        raise BadInput(
            f"{source}: {len(frame)} usable rows (non-negative {cfg.target}); "
            f"at least {cfg.min_rows} needed"
        )
    if cfg.time_column in frame.columns:
        times = pd.to_datetime(frame[cfg.time_column], utc=True, errors="coerce")
        if times.notna().all():
            frame = frame.assign(**{cfg.time_column: times})
            frame = frame.sort_values(cfg.time_column, kind="stable")
    return frame.reset_index(drop=True)


def make_meta(train: pd.DataFrame, cfg: CycleModelSettings) -> dict[str, Any]:
    """What the served model needs besides the booster: features, categories, and the physics
    constants (section ``physics``) as trained, so a config change never changes its predictions."""
    categories = {
        c: sorted(train[c].dropna().astype("string").str.strip().unique().tolist())
        for c in cfg.categorical_features
    }
    return {
        "numeric_features": list(cfg.numeric_features),
        "feature_steps": dict(cfg.feature_steps),
        "categories": categories,
        "model_features": [*cfg.numeric_features, *ENGINEERED, *cfg.categorical_features],
        "physics": get_settings().physics.model_dump(),
        "min_fuel_l": cfg.min_fuel_l,
        "target": cfg.target,
        "single_thread_below_rows": cfg.single_thread_below_rows,
    }


def fit_xgb(train: pd.DataFrame, cfg: CycleModelSettings, seed: int):
    """An XGBoost booster and its meta trained on ``train``."""
    import xgboost as xgb

    meta = make_meta(train, cfg)
    matrix = engineer(train, meta)
    dtrain = xgb.DMatrix(matrix, label=train[cfg.target].to_numpy(), enable_categorical=True)
    params = {"objective": "reg:squarederror", "seed": seed, **cfg.xgb_params}
    if len(train) < cfg.single_thread_below_rows:
        params["nthread"] = 1
    booster = xgb.train(params, dtrain, num_boost_round=cfg.num_boost_round)
    return booster, meta


def predict_xgb(booster, meta: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    import xgboost as xgb

    matrix = engineer(frame.reset_index(drop=True), meta)
    pred = booster.predict(xgb.DMatrix(matrix, enable_categorical=True)).astype(float)
    return np.clip(pred, meta["min_fuel_l"], None)


def fit_physics(train: pd.DataFrame, meta: dict[str, Any]) -> np.ndarray:
    """Non-negative litres per MJ of work, per hour moving and per hour queuing (idle burn)."""
    from scipy.optimize import nnls

    design = physics_design(engineer(train, meta))
    coef, _ = nnls(design, train[meta["target"]].to_numpy(dtype=float))
    return coef


def predict_physics(coef: np.ndarray, meta: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    return physics_design(engineer(frame.reset_index(drop=True), meta)) @ coef


def _linear_design(frame: pd.DataFrame, meta: dict[str, Any], medians: pd.Series | None):
    matrix = engineer(frame.reset_index(drop=True), meta)
    numeric = matrix.drop(columns=list(meta["categories"])).astype(float)
    medians = numeric.median() if medians is None else medians
    parts = [numeric.fillna(medians).fillna(0.0)]
    for name in meta["categories"]:
        parts.append(pd.get_dummies(matrix[name], prefix=name, dtype=float))
    design = pd.concat(parts, axis=1)
    return np.column_stack([np.ones(len(design)), design.to_numpy(dtype=float)]), medians


def fit_linear(train: pd.DataFrame, meta: dict[str, Any]) -> tuple[np.ndarray, pd.Series]:
    """Ordinary least squares on the numeric, physics and one-hot categorical columns."""
    design, medians = _linear_design(train, meta, None)
    coef, *_ = np.linalg.lstsq(design, train[meta["target"]].to_numpy(dtype=float), rcond=None)
    return coef, medians


def predict_linear(model: tuple[np.ndarray, pd.Series], meta, frame: pd.DataFrame) -> np.ndarray:
    coef, medians = model
    design, _ = _linear_design(frame, meta, medians)
    return design @ coef


def cross_validate(frame: pd.DataFrame, cfg: CycleModelSettings, seed: int) -> CycleCV:
    """Walk-forward validation of the model and both baselines on the same folds."""
    times = frame[cfg.time_column] if cfg.time_column in frame.columns else None
    folds = time_folds(times, cfg.walk_forward)
    if not folds:
        raise BadInput(f"too few rows ({len(frame)}) for one walk-forward fold")
    y = frame[cfg.target].to_numpy(dtype=float)
    oof = {m: np.full(len(frame), np.nan) for m in MODELS}
    rows = []
    for fold in folds:
        train, test = frame.iloc[fold.train], frame.iloc[fold.test]
        booster, meta = fit_xgb(train, cfg, seed)
        preds = {
            "xgboost": predict_xgb(booster, meta, test),
            "physics": predict_physics(fit_physics(train, meta), meta, test),
            "linear": predict_linear(fit_linear(train, meta), meta, test),
        }
        for model, pred in preds.items():
            oof[model][fold.test] = pred
            rows.append(
                {
                    "fold": fold.number,
                    "cutoff": None if fold.cutoff is None else fold.cutoff.isoformat(),
                    "model": model,
                    "n_train": len(fold.train),
                    "n_test": len(fold.test),
                    **regression_metrics(y[fold.test], pred),
                }
            )
    table = pd.DataFrame(rows)
    summary = {
        m: {k: float(v) for k, v in g[["mae", "rmse", "mape_pct", "r2"]].mean().items()}
        for m, g in table.groupby("model")
    }
    return CycleCV(table=table, summary=summary, folds=folds, oof=oof)


def train_cycle_model(frame: pd.DataFrame, cfg: CycleModelSettings, seed: int) -> TrainedCycleModel:
    """Hyper-parameter search (``cfg.tuning``), walk-forward validation, then the final model on
    every row."""
    from fuelopt.ml.tuning import tune_cycle_model, with_params

    tuning = tune_cycle_model(frame, cfg, seed)
    if tuning is not None:
        cfg = with_params(cfg, tuning.params)
    cv = cross_validate(frame, cfg, seed)
    started = time.perf_counter()
    booster, meta = fit_xgb(frame, cfg, seed)
    seconds = time.perf_counter() - started
    meta["training_rows"] = len(frame)
    window: tuple[str | None, str | None] = (None, None)
    if cfg.time_column in frame.columns and pd.api.types.is_datetime64_any_dtype(
        frame[cfg.time_column]
    ):
        window = (
            frame[cfg.time_column].min().isoformat(),
            frame[cfg.time_column].max().isoformat(),
        )
    meta["data_window"] = list(window)
    return TrainedCycleModel(booster, meta, cv, len(frame), seconds, window, cfg, tuning)


def cli_metrics(model: TrainedCycleModel) -> dict[str, Any]:
    """The JSON line of ``fuelopt train-cycle-model`` (docs/contracts.md §2)."""

    def pick(name: str) -> dict[str, float]:
        s = model.cv.summary[name]
        return {
            "mae_l": round(s["mae"], 4),
            "rmse_l": round(s["rmse"], 4),
            "mape_pct": round(s["mape_pct"], 4),
            "r2": round(s["r2"], 6),
        }

    best = pick("xgboost")
    return {
        **best,
        "baselines": {"physics": pick("physics"), "linear": pick("linear")},
        "rows": model.rows,
        "folds": len(model.cv.folds),
        "train_seconds": round(model.train_seconds, 3),
        "tuning": None
        if model.tuning is None
        else {
            "params": model.tuning.params,
            "trials": len(model.tuning.trials),
            "folds": model.tuning.folds,
        },
    }


def write_artifacts(model: TrainedCycleModel, folder: Path) -> dict[str, str]:
    """Booster (XGBoost JSON) and meta files the pyfunc loads."""
    folder.mkdir(parents=True, exist_ok=True)
    booster_path, meta_path = folder / "booster.json", folder / "meta.json"
    model.booster.save_model(str(booster_path))
    meta_path.write_text(json.dumps(model.meta, indent=1, default=str))
    return {"booster": str(booster_path), "meta": str(meta_path)}


def pip_requirements() -> list[str]:
    import mlflow
    import xgboost

    return [f"mlflow=={mlflow.__version__}", f"xgboost=={xgboost.__version__}", "pandas", "numpy"]
