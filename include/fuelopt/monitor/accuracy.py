"""Accuracy of tracked forecasts whose actuals have arrived, each against the validation of the
model version that issued it."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.ml.registry import version_metrics
from fuelopt.monitor.champion import Champion
from fuelopt.monitor.checks import CheckRow, ops_table
from fuelopt.monitor.settings import AccuracySettings
from fuelopt.warehouse.db import query_frame, relation, relation_exists


def degradation_severity(pct: float | None, cfg: AccuracySettings) -> str:
    """none (unknown), info (< warning_pct), warning, high (> high_pct), critical."""
    if pct is None or not math.isfinite(pct):
        return "none"
    if pct > cfg.critical_pct:
        return "critical"
    if pct > cfg.high_pct:
        return "high"
    if pct >= cfg.warning_pct:
        return "warning"
    return "info"


def horizon_metrics(pairs: pd.DataFrame) -> pd.DataFrame:
    """MAE, MAPE (%) and 80 % coverage per model version and horizon of forecast/actual pairs."""
    frame = pairs.assign(
        abs_err=(pairs["pred"] - pairs["actual"]).abs(),
        ape=np.where(
            pairs["actual"] != 0,
            (pairs["pred"] - pairs["actual"]).abs() / pairs["actual"].abs() * 100,
            np.nan,
        ),
        covered=(pairs["actual"] >= pairs["lo80"]) & (pairs["actual"] <= pairs["hi80"]),
    )
    return (
        frame.groupby(["model_version", "horizon_days"])
        .agg(
            n_pairs=("abs_err", "size"),
            mae=("abs_err", "mean"),
            mape=("ape", "mean"),
            coverage80=("covered", "mean"),
        )
        .reset_index()
    )


def accuracy_rows(
    metrics: pd.DataFrame,
    baselines: dict[str, dict[str, float]],
    champion: Champion | None,
    subject: str,
    cfg: AccuracySettings,
) -> list[CheckRow]:
    """One row per model version and horizon: MAPE degradation % against that version's own
    validation ``mape_h<h>`` (``baselines``: version -> run metrics). The champion's rows are
    named ``h<h>``; older versions' ``h<h>@v<version>`` alert but do not ask for a retrain."""
    rows = []
    for rec in metrics.itertuples(index=False):
        h, version = int(rec.horizon_days), str(rec.model_version)
        is_champion = champion is not None and version == champion.version
        own = baselines.get(version, {})
        baseline = own.get(f"mape_h{h}")
        details = {
            "n_pairs": int(rec.n_pairs),
            "mae_l": float(rec.mae),
            "mape_pct": None if pd.isna(rec.mape) else float(rec.mape),
            "coverage80_pct": 100.0 * float(rec.coverage80),
            "baseline_mape_pct": baseline,
            "baseline_coverage80_pct": own.get(f"coverage80_h{h}"),
            "model_version": version,
            "champion": champion.label if champion else None,
            "is_champion": is_champion,
        }
        pct = None
        if rec.n_pairs < cfg.min_pairs:
            details["note"] = f"fewer than {cfg.min_pairs} forecast/actual pairs"
        elif baseline is None or baseline <= 0 or pd.isna(rec.mape):
            details["note"] = f"no validation baseline of version {version} for this horizon"
        else:
            pct = (float(rec.mape) - baseline) / baseline * 100
        severity = degradation_severity(pct, cfg)
        rows.append(
            CheckRow(
                check_type="accuracy",
                subject=subject,
                column_name=f"h{h}" if is_champion else f"h{h}@v{version}",
                metric="mape_degradation_pct",
                value=pct,
                threshold=cfg.warning_pct,
                drift=severity in ("warning", "high", "critical"),
                severity=severity,
                details=details,
            )
        )
    return rows


def check_accuracy(
    conn: psycopg.Connection, as_of: datetime, model: str | None, champion: Champion | None
) -> list[CheckRow]:
    """Rows for every horizon of ``model``'s tracked forecasts with actuals in the window."""
    settings = get_settings()
    cfg = settings.monitor.accuracy
    actuals = relation("marts", cfg.actuals_table)
    subject = model or "demand_model"

    def no_result(note: str) -> list[CheckRow]:
        metric, threshold = "mape_degradation_pct", cfg.warning_pct
        return [
            CheckRow(
                "accuracy",
                subject,
                "-",
                metric,
                None,
                threshold,
                False,
                "none",
                None,
                {"note": note},
            )
        ]

    if not model:
        return no_result("no demand model configured")
    if not relation_exists(conn, actuals):
        return no_result(f"{actuals.as_string(conn)} does not exist")
    pairs = query_frame(
        conn,
        sql.SQL(
            """SELECT p.model_version, p.horizon_days, p.target_date, p.pred, p.lo80, p.hi80,
                      a.fuel_l AS actual
               FROM {} p
               JOIN {} a ON a.date = p.target_date
               WHERE p.model_name = %s AND a.fuel_l IS NOT NULL
                 AND p.target_date <= %s AND p.target_date > %s"""
        ).format(ops_table("predictions"), actuals),
        (model, as_of.date(), (as_of - timedelta(days=cfg.window_days)).date()),
    )
    if pairs.empty:
        return no_result("no forecast has its actual yet")
    for col in ("pred", "lo80", "hi80", "actual"):
        pairs[col] = pairs[col].astype(float)
    baselines = {
        str(v): champion.metrics
        if champion and str(v) == champion.version
        else version_metrics(model, str(v))
        for v in sorted(pairs["model_version"].unique())
    }
    return accuracy_rows(horizon_metrics(pairs), baselines, champion, subject, cfg)
