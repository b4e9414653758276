"""The cycle fuel model as an MLflow "model from code": preprocessing + XGBoost booster.

Self-contained on purpose (only numpy, pandas, xgboost, mlflow): MLflow copies this file into the
saved model, and with it ``fuelopt/haul_physics.py`` (``code_paths``: the physics formula shared
with the optimiser), so ``mlflow.pyfunc.load_model(DIR)`` works where the fuelopt package is not
installed. Training (fuelopt.ml.cycle_model) imports :func:`engineer` from here, so the features a
model is trained on and the features it is served with are built by the same code.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import pandas as pd

if __name__ == "fuelopt.ml.cycle_pyfunc":
    from fuelopt import haul_physics
else:  # run by MLflow from a saved model: the copy saved with it (its code/ is on sys.path)
    sys.modules.pop("haul_physics", None)  # another model's copy may have been imported
    try:
        import haul_physics
    except ModuleNotFoundError:  # MLflow runs this file once while saving it, from the source
        from fuelopt import haul_physics


def engineer(frame: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    """Model matrix of a raw cycle frame: numeric columns coerced (missing, infinite or beyond
    float32 -> NaN) and floored to their ``feature_steps``, physics terms (work against grade and
    rolling resistance, hours moving and queuing), and categoricals with the training categories
    (an unseen value becomes missing, which XGBoost routes natively)."""
    n = len(frame)
    out = {}
    for col in meta["numeric_features"]:
        values = frame[col] if col in frame.columns else pd.Series(np.nan, index=frame.index)
        out[col] = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    # Models registered before feature steps existed have none in their meta.
    for col, step in meta.get("feature_steps", {}).items():
        out[col] = np.floor(out[col] / step) * step

    def col(name: str) -> np.ndarray:
        return out[name] if name in out else np.full(n, np.nan)

    loaded_km, empty_km = col("loaded_distance_km"), col("empty_distance_km")
    queue, speed = col("queue_min"), col("avg_speed_kmh")
    # The constants the model was trained with (meta), the empty mass nominal: the model's input
    # contract has no capacity column.
    work = haul_physics.cycle_work(frame, meta["physics"], capacity=None)
    out["grade_work_mj"] = work.grade_mj
    out["empty_climb_mj"] = work.empty_climb_mj
    out["rolling_work_mj"] = work.rolling_mj
    out["physics_work_mj"] = work.total_mj
    with np.errstate(divide="ignore", invalid="ignore"):
        moving_h = (np.nan_to_num(loaded_km) + np.nan_to_num(empty_km)) / np.where(
            speed > 0, speed, np.nan
        )
    out["moving_h"] = moving_h
    out["queue_h"] = queue / 60.0
    out["rolling_resistance"] = work.rolling_resistance
    # XGBoost works in float32: a value beyond its range (a ratio on a near-zero speed) would be
    # rejected as infinite, so it becomes missing, which the trees route natively.
    limit = float(np.finfo(np.float32).max)
    with np.errstate(invalid="ignore"):
        out = {k: np.where(np.abs(v) <= limit, v, np.nan) for k, v in out.items()}
    matrix = pd.DataFrame(out, index=frame.index)
    for name, categories in meta["categories"].items():
        values = (
            frame[name].astype("string").str.strip()
            if name in frame.columns
            else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
        matrix[name] = pd.Categorical(values, categories=categories)
    return matrix[meta["model_features"]]


def physics_design(matrix: pd.DataFrame) -> np.ndarray:
    """Columns of the physics baseline: work (MJ), hours moving, hours queuing (idle burn)."""
    cols = [matrix["physics_work_mj"], matrix["moving_h"], matrix["queue_h"]]
    return np.column_stack([np.nan_to_num(c.to_numpy(dtype=float)) for c in cols])


try:
    import mlflow
    from mlflow.pyfunc import PythonModel
except ImportError:  # training without mlflow never needs the wrapper
    PythonModel = object  # type: ignore[assignment,misc]


class CycleFuelModel(PythonModel):
    """pyfunc: ``predict(frame)`` -> litres per row (columns beyond the features are ignored)."""

    def load_context(self, context) -> None:
        import xgboost as xgb

        with open(context.artifacts["meta"]) as fh:
            self.meta = json.load(fh)
        self.booster = xgb.Booster()
        self.booster.load_model(context.artifacts["booster"])
        # Small frames (a request of a few cycles) on one thread: OpenMP start-up and
        # contention cost more than the work; a copy, so concurrent calls never reconfigure.
        self.single = self.booster.copy()
        self.single.set_param({"nthread": 1})

    def predict(self, context, model_input: pd.DataFrame, params=None) -> np.ndarray:
        import xgboost as xgb

        frame = pd.DataFrame(model_input)
        matrix = engineer(frame.reset_index(drop=True), self.meta)
        small = len(matrix) < int(self.meta.get("single_thread_below_rows", 0))
        booster, threads = (self.single, 1) if small else (self.booster, -1)
        pred = booster.predict(xgb.DMatrix(matrix, enable_categorical=True, nthread=threads))
        return np.clip(pred.astype(float), float(self.meta.get("min_fuel_l", 0.0)), None)


if __name__ != "fuelopt.ml.cycle_pyfunc" and PythonModel is not object:
    mlflow.models.set_model(CycleFuelModel())
