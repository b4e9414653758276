"""Optuna search of the cycle model's XGBoost hyper-parameters on the earlier walk-forward folds.

The latest ``ml.promotion.compare_folds`` folds are left out of the search: they are where the
gate compares the challenger with the champion, and a model tuned on them would look better there
than it is. The study is bounded by ``trials`` (reproducible: TPE with the configured seed, one
trial at a time) and by ``timeout_seconds`` as a safety net (hitting it is logged, since fewer
trials may choose other parameters).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fuelopt.config import get_settings
from fuelopt.ml.settings import CycleModelSettings, TuningRange

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuningResult:
    """The parameters chosen, the search's own MAE and every trial (for MLflow)."""

    params: dict[str, float | int]
    best_mae_l: float
    trials: pd.DataFrame
    folds: int
    timed_out: bool


def _suggest(trial, name: str, space: TuningRange) -> float | int:
    if space.integer:
        return trial.suggest_int(name, int(space.low), int(space.high), log=space.log)
    return trial.suggest_float(name, space.low, space.high, log=space.log)


def with_params(cfg: CycleModelSettings, params: dict[str, float | int]) -> CycleModelSettings:
    """``cfg`` with tuned values: ``num_boost_round`` itself, the rest into ``xgb_params``."""
    rounds = int(params.get("num_boost_round", cfg.num_boost_round))
    xgb = {**cfg.xgb_params, **{k: v for k, v in params.items() if k != "num_boost_round"}}
    return cfg.model_copy(update={"num_boost_round": rounds, "xgb_params": xgb})


def tune_cycle_model(
    frame: pd.DataFrame, cfg: CycleModelSettings, seed: int
) -> TuningResult | None:
    """The best parameters on the search folds, or None when tuning is off or the history has no
    fold to spare beside the gate's."""
    import optuna

    from fuelopt.ml.cycle_model import fit_xgb, predict_xgb
    from fuelopt.ml.walk_forward import time_folds

    tuning = cfg.tuning
    if not tuning.enabled or tuning.trials == 0:
        return None
    times = frame[cfg.time_column] if cfg.time_column in frame.columns else None
    folds = time_folds(times, cfg.walk_forward)[: -get_settings().ml.promotion.compare_folds]
    if not folds:
        log.info("no walk-forward fold before the gate's: the configured parameters stay")
        return None
    y = frame[cfg.target].to_numpy(dtype=float)

    def objective(trial) -> float:
        trial_cfg = with_params(
            cfg, {name: _suggest(trial, name, space) for name, space in tuning.space.items()}
        )
        errors = []
        for fold in folds:
            booster, meta = fit_xgb(frame.iloc[fold.train], trial_cfg, seed)
            pred = predict_xgb(booster, meta, frame.iloc[fold.test])
            errors.append(float(np.mean(np.abs(pred - y[fold.test]))))
        return float(np.mean(errors))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(  # the configured parameters are always one of the candidates
        {
            name: cfg.num_boost_round if name == "num_boost_round" else cfg.xgb_params[name]
            for name in tuning.space
            if name == "num_boost_round" or name in cfg.xgb_params
        }
    )
    study.optimize(objective, n_trials=tuning.trials, timeout=tuning.timeout_seconds, n_jobs=1)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    timed_out = len(done) < tuning.trials
    if timed_out:
        log.warning(
            "tuning stopped by ml.cycle.tuning.timeout_seconds after %d of %d trials",
            len(done),
            tuning.trials,
        )
    trials = study.trials_dataframe(attrs=("number", "value", "params", "duration"))
    return TuningResult(study.best_params, float(study.best_value), trials, len(folds), timed_out)
