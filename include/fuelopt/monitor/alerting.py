"""Alert decisions: one message per run summarising every event, repeats within the cooldown
suppressed. "Already sent" is read from ``ops.alert_log.event_keys`` (kind 'monitoring')."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.monitor.checks import CheckRow, ops_table, sustained_columns
from fuelopt.monitor.drift import SEVERITY_ORDER, worst

log = logging.getLogger(__name__)
KIND = "monitoring"


@dataclass(frozen=True)
class Event:
    key: str
    severity: str
    text: str


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def describe(row: CheckRow) -> str:
    d = row.details
    if row.check_type == "freshness":
        age = "no data" if row.value is None else f"{row.value:.0f} min old"
        return f"stale source {row.subject}.{row.column_name}: {age} (max {row.threshold:g})"
    if row.check_type == "reachability":
        return f"monitoring could not reach the MLflow registry for {row.subject}: {d.get('error')}"
    if row.check_type == "rollback":
        return (
            f"automatic rollback of {row.subject}: champion is now v{d.get('rolled_back_to')} "
            f"(was v{d.get('rolled_back_from')}): {d.get('reason')}; window "
            f"{d.get('window_start')} to {d.get('window_end')}"
        )
    if row.check_type == "accuracy":
        return (
            f"forecast accuracy {row.subject} {row.column_name}: MAPE {_fmt(d.get('mape_pct'))} % "
            f"vs baseline {_fmt(d.get('baseline_mape_pct'))} % "
            f"(+{_fmt(row.value)} %, {d.get('n_pairs')} pairs)"
        )
    label = "data drift" if row.check_type == "data_drift" else "prediction drift"
    return (
        f"{label} {row.subject}.{row.column_name}: PSI {_fmt(row.value)}, "
        f"p(adj) {_fmt(row.p_value)} vs {d.get('reference', '?')}"
    )


def events_from(rows: list[CheckRow], min_severity: str) -> list[Event]:
    """Events worth telling on-call: rows at or above ``min_severity``, most severe first."""
    floor = SEVERITY_ORDER.index(min_severity)
    found = [
        Event(
            key=f"{r.check_type}:{r.subject}:{r.column_name}:{r.severity}",
            severity=r.severity,
            text=describe(r),
        )
        for r in rows
        if SEVERITY_ORDER.index(r.severity) >= floor
    ]
    return sorted(found, key=lambda e: -SEVERITY_ORDER.index(e.severity))


def confirmed(conn: psycopg.Connection, rows: list[CheckRow], runs: int) -> list[CheckRow]:
    """Rows worth an event: drift rows only when their column also drifted in the previous
    ``runs - 1`` runs (one window of clustered mine data can differ by chance), others as is."""
    kept = []
    sustained = {
        kind: set(sustained_columns(conn, kind, runs, "warning")) if runs > 1 else None
        for kind in ("data_drift", "prediction_drift")
    }
    for row in rows:
        columns = sustained.get(row.check_type)
        if columns is None or row.column_name in columns:
            kept.append(row)
    return kept


def recently_sent(
    conn: psycopg.Connection, dag_id: str, keys: list[str], cooldown_hours: float
) -> set[str]:
    """Event keys already announced by a monitoring alert of ``dag_id`` within the cooldown."""
    if not keys:
        return set()
    cur = conn.execute(
        sql.SQL(
            """SELECT DISTINCT k FROM {}, unnest(event_keys) AS k
               WHERE kind = %s AND dag_id = %s
                 AND raised_at > now() - make_interval(secs => %s) AND k = ANY(%s)"""
        ).format(ops_table("alert_log")),
        (KIND, dag_id, cooldown_hours * 3600, keys),
    )
    return {row[0] for row in cur.fetchall()}


def compose(
    dag_id: str, run_id: str, events: list[Event], retrain: dict[str, Any] | None
) -> tuple[str, str]:
    """Subject and body of the run's single message."""
    from fuelopt.alerts.on_call import runbook_link

    if events:
        severity = worst([e.severity for e in events])
        subject = f"[fuelopt] {dag_id}: {len(events)} monitoring event(s), worst {severity}"
    else:
        subject = f"[fuelopt] {dag_id}: retrain requested"
    lines = [f"Run:      {run_id}", "Events:"]
    lines += [f"  [{e.severity}] {e.text}" for e in events]
    if retrain:
        state = "requested" if retrain["accepted"] else f"blocked ({retrain['blocked_by']})"
        lines.append(f"Retrain:  {state}: {retrain['reason']}")
    lines.append(f"Runbook:  {runbook_link(dag_id)}")
    return subject, "\n".join(lines)


def send_run_alert(
    conn: psycopg.Connection,
    dag_id: str,
    run_id: str,
    rows: list[CheckRow],
    retrain: dict[str, Any] | None,
    context: dict[str, Any],
    uri: str | None = None,
) -> dict[str, Any]:
    """Notify on-call once for this run's new events and log it; returns what was decided."""
    from fuelopt.alerts.on_call import notify, record_alert

    cfg = get_settings().monitor.alerting
    rows = confirmed(conn, rows, cfg.drift_runs)
    events = events_from(rows, cfg.min_severity)
    sent_before = recently_sent(conn, dag_id, [e.key for e in events], cfg.cooldown_hours)
    new = [e for e in events if e.key not in sent_before]
    decision: dict[str, Any] = {
        "events": len(events),
        "suppressed": sorted(sent_before),
        "sent": [],
        "alert_id": None,
    }
    # An accepted retrain is news of its own even when the events behind it were sent (once:
    # a re-run of this run's task does not announce it again).
    announced = conn.execute(
        sql.SQL("SELECT 1 FROM {} WHERE kind = %s AND dag_id = %s AND run_id = %s").format(
            ops_table("alert_log")
        ),
        (KIND, dag_id, run_id),
    ).fetchone()
    new_retrain = bool(retrain and retrain.get("accepted")) and announced is None
    if not new and not new_retrain:
        log.info("no new monitoring event (%d suppressed by the cooldown)", len(sent_before))
        return decision
    subject, body = compose(dag_id, run_id, new, retrain)
    log.warning("%s\n%s", subject, body)
    channels = notify(subject, body, context)
    severity = worst([e.severity for e in new]) if new else "info"
    alert_id = record_alert(
        kind=KIND,
        severity=severity,
        dag_id=dag_id,
        run_id=run_id,
        message=f"{subject}\n{body}",
        notified_via=channels,
        event_keys=[e.key for e in new],
        uri=uri,
    )
    decision.update(sent=[e.key for e in new], alert_id=alert_id, channels=channels)
    return decision
