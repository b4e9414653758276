"""Accuracy of tracked forecasts whose actuals have arrived, against the champion's validation."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from fuelopt.config import get_settings
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
    """MAE, MAPE (%) and 80 % coverage per horizon of forecast/actual pairs."""
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
        frame.groupby("horizon_days")
        .agg(
            n_pairs=("abs_err", "size"),
            mae=("abs_err", "mean"),
            mape=("ape", "mean"),
            coverage80=("covered", "mean"),
        )
        .reset_index()
    )


def accuracy_rows(
    metrics: pd.DataFrame, champion: Champion | None, subject: str, cfg: AccuracySettings
) -> list[CheckRow]:
    """One row per horizon: MAPE degradation % against the champion's ``mape_h<h>``."""
    rows = []
    for rec in metrics.itertuples(index=False):
        h = int(rec.horizon_days)
        baseline = champion.metrics.get(f"mape_h{h}") if champion else None
        details = {
            "n_pairs": int(rec.n_pairs),
            "mae_l": float(rec.mae),
            "mape_pct": None if pd.isna(rec.mape) else float(rec.mape),
            "coverage80": float(rec.coverage80),
            "baseline_mape_pct": baseline,
            "baseline_coverage80": champion.metrics.get(f"coverage80_h{h}") if champion else None,
            "champion": champion.label if champion else None,
        }
        pct = None
        if rec.n_pairs < cfg.min_pairs:
            details["note"] = f"fewer than {cfg.min_pairs} forecast/actual pairs"
        elif baseline is None or baseline <= 0 or pd.isna(rec.mape):
            details["note"] = "no champion validation baseline for this horizon"
        else:
            pct = (float(rec.mape) - baseline) / baseline * 100
        severity = degradation_severity(pct, cfg)
        rows.append(
            CheckRow(
                check_type="accuracy",
                subject=subject,
                column_name=f"h{h}",
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
            """SELECT p.horizon_days, p.target_date, p.pred, p.lo80, p.hi80, a.fuel_l AS actual
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
    return accuracy_rows(horizon_metrics(pairs), champion, subject, cfg)
