"""Whether this run asks ``train_models`` to retrain, behind a circuit breaker.

Reasons: data drift at ``retrain.drift_severity`` or worse in each of the last
``retrain.sustained_runs`` monitoring runs (this one included), or the champion's forecast
accuracy degraded at ``retrain.accuracy_severity`` or worse in this run (older versions' forecasts
alert only), or a forced request. The breaker allows at
most one accepted automatic request per ``retrain.min_period_hours``; every decision with a
reason is a row of ``ops.retrain_requests`` (accepted or blocked, and by what).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.monitor.champion import find_champion, model_name
from fuelopt.monitor.checks import CheckRow, ops_table, sustained_columns
from fuelopt.monitor.drift import SEVERITY_ORDER


def _at_least(severity: str, floor: str) -> bool:
    return SEVERITY_ORDER.index(severity) >= SEVERITY_ORDER.index(floor)


def _trainable(conn: psycopg.Connection) -> bool:
    """Whether the feature tables train_models reads exist and hold rows (a first scheduled
    monitoring run may come before the first transform: asking then would fail the training
    and trip the circuit breaker for the first model)."""
    from fuelopt.warehouse.db import relation, relation_exists

    for table in get_settings().ml.feature_tables.values():
        ident = relation("features", table)
        if not relation_exists(conn, ident):
            return False
        if not conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(ident)).fetchone()[
            0
        ]:
            return False
    return True


def reasons(conn: psycopg.Connection, rows: list[CheckRow]) -> list[str]:
    """Why this run would ask for a retrain (empty: it would not)."""
    cfg = get_settings().monitor.retrain
    found = []
    if cfg.when_no_champion and find_champion(model_name("cycle")) is None and _trainable(conn):
        found.append("no champion cycle model yet")
    columns = sustained_columns(conn, "data_drift", cfg.sustained_runs, cfg.drift_severity)
    if columns:
        found.append(
            f"sustained data drift ({cfg.sustained_runs} runs, >= {cfg.drift_severity}): "
            + ", ".join(columns)
        )
    degraded = [
        f"{r.column_name} {r.severity} (+{r.value:.1f} %)"
        for r in rows
        if r.check_type == "accuracy"
        and r.details.get("is_champion")
        and r.value is not None
        and _at_least(r.severity, cfg.accuracy_severity)
    ]
    if degraded:
        found.append("forecast accuracy degraded: " + ", ".join(degraded))
    return found


def last_accepted(conn: psycopg.Connection, run_id: str, hours: float) -> tuple | None:
    """The latest accepted request of another run within ``hours``, if any."""
    return conn.execute(
        sql.SQL(
            """SELECT requested_at, run_id FROM {}
               WHERE accepted AND run_id <> %s
                 AND requested_at > now() - make_interval(secs => %s)
               ORDER BY requested_at DESC LIMIT 1"""
        ).format(ops_table("retrain_requests")),
        (run_id, hours * 3600),
    ).fetchone()


def decide(
    conn: psycopg.Connection,
    run_id: str,
    rows: list[CheckRow],
    *,
    force: bool = False,
    block: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Decide and record this run's retrain request; ``accepted`` means emit the Asset."""
    cfg = get_settings().monitor.retrain
    found = reasons(conn, rows)
    if force:
        found.insert(0, "forced by the run's force_retrain parameter")
    decision: dict[str, Any] = {"accepted": False, "reason": "; ".join(found), "blocked_by": None}
    if not found:
        return decision
    if block:
        decision["blocked_by"] = "blocked by the run's block_retrain parameter"
    elif not cfg.enabled and not force:
        decision["blocked_by"] = "automatic retraining disabled (monitor.retrain.enabled)"
    elif not force and (last := last_accepted(conn, run_id, cfg.min_period_hours)):
        decision["blocked_by"] = (
            f"circuit breaker: retrain already requested at {last[0].isoformat()} "
            f"by {last[1]} (at most one per {cfg.min_period_hours:g} h)"
        )
    else:
        decision["accepted"] = True
    table = ops_table("retrain_requests")
    conn.execute(sql.SQL("DELETE FROM {} WHERE run_id = %s").format(table), (run_id,))
    conn.execute(
        sql.SQL(
            """INSERT INTO {} (requested_at, run_id, reason, accepted, blocked_by)
               VALUES (coalesce(%s, now()), %s, %s, %s, %s)"""
        ).format(table),
        (now, run_id, decision["reason"], decision["accepted"], decision["blocked_by"]),
    )
    return decision


def recorded_decision(conn: psycopg.Connection, run_id: str) -> dict[str, Any] | None:
    """The decision this run recorded in ``ops.retrain_requests``, if it had a reason."""
    row = conn.execute(
        sql.SQL("SELECT accepted, reason, blocked_by FROM {} WHERE run_id = %s").format(
            ops_table("retrain_requests")
        ),
        (run_id,),
    ).fetchone()
    return None if row is None else {"accepted": row[0], "reason": row[1], "blocked_by": row[2]}
