"""Data drift of the cycle feature frame and prediction drift of the champion cycle model."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from fuelopt.config import get_settings
from fuelopt.monitor.champion import Champion
from fuelopt.monitor.checks import CheckRow
from fuelopt.monitor.drift import compare
from fuelopt.monitor.windows import Windows, features_table

log = logging.getLogger(__name__)


def _window_details(windows: Windows) -> dict[str, Any]:
    return {
        "reference": windows.reference_source,
        "current_start": windows.current_start.isoformat() if windows.current_start else None,
        "current_end": windows.current_end.isoformat() if windows.current_end else None,
    }


def report_rows(
    report: dict[str, Any], check_type: str, subject: str, extra: dict[str, Any]
) -> list[CheckRow]:
    """One ``ops.drift_checks`` row per column of a drift report (metric psi, the rest in
    details)."""
    psi_warn = get_settings().monitor.drift.psi_warn
    return [
        CheckRow(
            check_type=check_type,
            subject=subject,
            column_name=col,
            metric="psi",
            value=res["psi"],
            threshold=psi_warn,
            drift=res["drift"],
            severity=res["severity"],
            p_value=res["p_value_adjusted"],
            details={**res, **extra},
        )
        for col, res in report["columns"].items()
    ]


def data_drift_rows(windows: Windows) -> list[CheckRow]:
    """Per-column drift of the monitored feature columns (those present in both windows)."""
    cfg = get_settings().monitor.window
    wanted = cfg.columns
    columns = [c for c in wanted if c in windows.reference and c in windows.current]
    report = compare(windows.reference, windows.current, columns, time_column=cfg.time_column)
    extra = _window_details(windows)
    extra["missing_columns"] = [c for c in wanted if c not in columns]
    extra["n_reference"], extra["n_current"] = report["n_reference"], report["n_current"]
    extra["calibrated"] = report["calibrated"]
    return report_rows(report, "data_drift", features_table(), extra)


def prediction_drift_rows(windows: Windows, champion: Champion | None) -> list[CheckRow]:
    """Drift of the champion cycle model's predictions: reference window vs current window."""
    subject = champion.label if champion else "cycle_model"
    extra = _window_details(windows)

    def no_result(note: str) -> list[CheckRow]:
        details = {**extra, "note": note}
        return [
            CheckRow(
                "prediction_drift",
                subject,
                "prediction",
                "psi",
                None,
                None,
                False,
                "none",
                None,
                details,
            )
        ]

    if champion is None or windows.current.empty or windows.reference.empty:
        return no_result("no champion cycle model" if champion is None else "an empty window")
    import mlflow

    from fuelopt.ml.registry import registry_call, tracking_uri

    time_column = get_settings().monitor.window.time_column
    mlflow.set_tracking_uri(tracking_uri())
    uri = f"models:/{champion.name}/{champion.version}"
    model = registry_call(uri, lambda: mlflow.pyfunc.load_model(uri))
    if model is None:
        return no_result(f"{uri} has no model to load")
    try:
        preds = {name: _scored(model, frame, time_column) for name, frame in windows.frames()}
    except Exception as exc:  # a model that cannot score the window is reported, not fatal
        log.warning("champion %s could not score the windows: %s", champion.label, exc)
        return no_result(f"scoring failed: {exc}")
    # like with like: the same model version scores both windows, and the reference is cut into
    # blocks as large as the current window to calibrate the threshold, as for data drift
    report = compare(preds["reference"], preds["current"], ["prediction"], time_column=time_column)
    extra.update(model_version=champion.version, calibrated=report["calibrated"])
    extra["n_reference"], extra["n_current"] = report["n_reference"], report["n_current"]
    return report_rows(report, "prediction_drift", subject, extra)


def _scored(model: Any, frame: pd.DataFrame, time_column: str) -> pd.DataFrame:
    """The model's predictions on ``frame``, beside the frame's time column (when it has one)."""
    out = pd.DataFrame(
        {"prediction": pd.Series(model.predict(frame.drop(columns=["fuel_l"], errors="ignore")))}
    ).astype(float)
    if time_column in frame.columns:
        out[time_column] = frame[time_column].to_numpy()
    return out
