"""Rows of ``ops.drift_checks`` (one per check, subject and column) and warehouse reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from fuelopt.warehouse.db import jsonb_text, relation

CHECK_TYPES = (
    "data_drift", "prediction_drift", "accuracy", "freshness", "reachability", "rollback"
)  # fmt: skip


@dataclass(frozen=True)
class CheckRow:
    check_type: str
    subject: str
    column_name: str
    metric: str
    value: float | None
    threshold: float | None
    drift: bool
    severity: str
    p_value: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


def ops_table(name: str) -> sql.Identifier:
    return relation("ops", name)


def write_checks(
    conn: psycopg.Connection,
    run_id: str,
    check_type: str,
    rows: list[CheckRow],
    checked_at: datetime,
    subject: str | None = None,
) -> int:
    """Replace this run's rows of ``check_type`` (of ``subject`` only, when given): idempotent
    re-runs; returns rows written."""
    table = ops_table("drift_checks")
    where = sql.SQL("run_id = %s AND check_type = %s")
    params: tuple = (run_id, check_type)
    if subject is not None:
        where, params = where + sql.SQL(" AND subject = %s"), (*params, subject)
    conn.execute(sql.SQL("DELETE FROM {} WHERE {}").format(table, where), params)
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                """INSERT INTO {} (checked_at, run_id, check_type, subject, column_name, metric,
                       value, threshold, p_value, drift, severity, details)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"""
            ).format(table),
            [
                (
                    checked_at,
                    run_id,
                    r.check_type,
                    r.subject,
                    r.column_name,
                    r.metric,
                    r.value,
                    r.threshold,
                    r.p_value,
                    r.drift,
                    r.severity,
                    jsonb_text(r.details),
                )
                for r in rows
            ],
        )
    return len(rows)


def read_checks(conn: psycopg.Connection, run_id: str) -> list[CheckRow]:
    """Every check row of one run."""
    cur = conn.execute(
        sql.SQL(
            """SELECT check_type, subject, column_name, metric, value, threshold, drift, severity,
                      p_value, details
               FROM {} WHERE run_id = %s
               ORDER BY check_type, subject, column_name, metric"""
        ).format(ops_table("drift_checks")),
        (run_id,),
    )
    return [CheckRow(*row[:9], details=row[9] or {}) for row in cur.fetchall()]


def as_dict(row: CheckRow) -> dict[str, Any]:
    return asdict(row)


def sustained_columns(
    conn: psycopg.Connection, check_type: str, runs: int, floor: str
) -> list[str]:
    """``subject.column`` flagged at ``floor`` or worse in each of the last ``runs`` runs of
    ``check_type`` (the current run included once written)."""
    from fuelopt.monitor.drift import SEVERITY_ORDER

    floors = list(SEVERITY_ORDER[SEVERITY_ORDER.index(floor) :])
    table = ops_table("drift_checks")
    cur = conn.execute(
        sql.SQL(
            """WITH recent AS (
                   SELECT run_id FROM {table} WHERE check_type = %s
                   GROUP BY run_id ORDER BY max(checked_at) DESC LIMIT %s)
               SELECT column_name FROM {table}
               WHERE check_type = %s AND run_id IN (SELECT run_id FROM recent)
                 AND drift AND severity = ANY(%s)
               GROUP BY column_name
               HAVING count(DISTINCT run_id) = %s AND (SELECT count(*) FROM recent) = %s
               ORDER BY column_name"""
        ).format(table=table),
        (check_type, runs, check_type, floors, runs, runs),
    )
    return [row[0] for row in cur.fetchall()]
