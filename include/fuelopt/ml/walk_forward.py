"""Walk-forward (rolling-origin, expanding window) folds and the metrics every model reports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fuelopt.ml.settings import WalkForwardSettings


@dataclass(frozen=True)
class Fold:
    """One fold: train on positions ``train``; test on positions ``test``; ``cutoff`` is the first
    instant not allowed in training (None for row-order fallback folds)."""

    number: int
    cutoff: pd.Timestamp | None
    train: np.ndarray
    test: np.ndarray


def day_cutoffs(start: pd.Timestamp, end: pd.Timestamp, wf: WalkForwardSettings) -> list:
    """Cutoffs ``start + initial + k·step`` whose test window ends by ``end`` (latest kept)."""
    cutoffs = []
    cutoff = start.normalize() + pd.Timedelta(days=wf.initial_days)
    while cutoff + pd.Timedelta(days=wf.test_days) <= end + pd.Timedelta(days=1):
        cutoffs.append(cutoff)
        cutoff += pd.Timedelta(days=wf.step_days)
    return cutoffs[-wf.max_folds :]


def time_folds(times: pd.Series | None, wf: WalkForwardSettings) -> list[Fold]:
    """Expanding-window folds over row timestamps: every training row is before the fold's cutoff,
    every test row in ``[cutoff, cutoff + test_days)``. Falls back to row-order blocks when there
    are no timestamps or the span is too short for one fold."""
    n = 0 if times is None else len(times)
    if times is not None and n and times.notna().all():
        ts = pd.to_datetime(times, utc=True).dt.tz_convert(None)
        t = ts.to_numpy(dtype="datetime64[ns]")
        folds = []
        for k, cutoff in enumerate(day_cutoffs(ts.min(), ts.max(), wf)):
            c = np.datetime64(cutoff, "ns")
            end = np.datetime64(cutoff + pd.Timedelta(days=wf.test_days), "ns")
            train = np.flatnonzero(t < c)
            test = np.flatnonzero((t >= c) & (t < end))
            if len(train) and len(test):
                folds.append(Fold(k, cutoff.tz_localize("UTC"), train, test))
        if folds:
            return [Fold(i, f.cutoff, f.train, f.test) for i, f in enumerate(folds)]
    return block_folds(n if times is not None else 0, wf)


def block_folds(n: int, wf: WalkForwardSettings) -> list[Fold]:
    """Row-order expanding folds: the first ``fallback_initial_fraction`` trains the first fold,
    the rest is cut into ``fallback_folds`` consecutive test blocks."""
    start = int(n * wf.fallback_initial_fraction)
    edges = np.linspace(start, n, wf.fallback_folds + 1).astype(int)
    folds = []
    for k in range(wf.fallback_folds):
        lo, hi = edges[k], edges[k + 1]
        if lo > 0 and hi > lo:
            folds.append(Fold(len(folds), None, np.arange(lo), np.arange(lo, hi)))
    return folds


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, MAPE (% over non-zero actuals) and R²."""
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    err = pred - y
    nz = np.abs(y) > 1e-9
    ss_tot = float(np.sum((y - y.mean()) ** 2)) if len(y) else 0.0
    return {
        "mae": float(np.mean(np.abs(err))) if len(y) else float("nan"),
        "rmse": float(np.sqrt(np.mean(err**2))) if len(y) else float("nan"),
        "mape_pct": float(np.mean(np.abs(err[nz] / y[nz])) * 100) if nz.any() else float("nan"),
        "r2": 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"),
    }


def interval_metrics(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[str, float]:
    """Share of actuals inside ``[lo, hi]`` (%) and the mean width."""
    y, lo, hi = (np.asarray(a, dtype=float) for a in (y, lo, hi))
    if not len(y):
        return {"coverage_pct": float("nan"), "width": float("nan")}
    return {
        "coverage_pct": float(np.mean((y >= lo) & (y <= hi)) * 100),
        "width": float(np.mean(hi - lo)),
    }
