"""The steps of the ``monitor_drift`` DAG, one function per task (each idempotent per run)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fuelopt.config import get_settings
from fuelopt.errors import RegistryUnavailable
from fuelopt.monitor.checks import CheckRow, read_checks, write_checks

log = logging.getLogger(__name__)
DAG_ID = "monitor_drift"


def _summary(rows: list) -> dict[str, Any]:
    flagged = [f"{r.subject}.{r.column_name}:{r.severity}" for r in rows if r.drift]
    return {"rows": len(rows), "flagged": flagged}


@contextmanager
def registry_reachable(run_id: str, model: str, uri: str | None) -> Iterator[None]:
    """Run a check that needs ``model`` from MLflow. When the registry cannot be reached, record a
    critical ``reachability`` row (so this run's alert names the outage) and fail the task; once
    it is reached again, a re-run clears that row."""
    from fuelopt.warehouse.db import connect

    rows: list[CheckRow] = []
    try:
        yield
    except RegistryUnavailable as exc:
        rows = [
            CheckRow(
                "reachability", model, "registry", "reachable", 0.0, 1.0, True, "critical",
                details={"error": str(exc)},
            )
        ]  # fmt: skip
        raise
    finally:
        with connect(uri) as conn:
            write_checks(conn, run_id, "reachability", rows, datetime.now(UTC), subject=model)


def run_data_drift(run_id: str, when: datetime, uri: str | None = None) -> dict[str, Any]:
    """Data drift of the feature frame and prediction drift of the champion cycle model."""
    from fuelopt.monitor.champion import find_champion, model_name
    from fuelopt.monitor.data_drift import data_drift_rows, prediction_drift_rows
    from fuelopt.monitor.windows import load_windows
    from fuelopt.warehouse.db import connect

    name = model_name("cycle")
    with registry_reachable(run_id, name, uri), connect(uri) as conn:
        champion = find_champion(name)
        checked_at = datetime.now(UTC)
        windows = load_windows(conn, when, champion)
        log.info(
            "reference %s: %d rows; current %s..%s: %d rows",
            windows.reference_source,
            len(windows.reference),
            windows.current_start,
            windows.current_end,
            len(windows.current),
        )
        data_rows = data_drift_rows(windows)
        pred_rows = prediction_drift_rows(windows, champion)
        write_checks(conn, run_id, "data_drift", data_rows, checked_at)
        write_checks(conn, run_id, "prediction_drift", pred_rows, checked_at)
    return {"reference": windows.reference_source, **_summary(data_rows + pred_rows)}


def run_accuracy(run_id: str, when: datetime, uri: str | None = None) -> dict[str, Any]:
    from fuelopt.monitor.accuracy import check_accuracy
    from fuelopt.monitor.champion import find_champion, model_name
    from fuelopt.warehouse.db import connect

    name = model_name("demand")
    with registry_reachable(run_id, name, uri), connect(uri) as conn:
        rows = check_accuracy(conn, when, name, find_champion(name))
        write_checks(conn, run_id, "accuracy", rows, datetime.now(UTC))
    return _summary(rows)


def run_shadow(
    run_id: str,
    when: datetime,
    uri: str | None = None,
    *,
    rollback: bool = True,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Score the cycle fuel champion and its shadows on the current window's cycles
    (``ops.shadow_scores``); roll the champion back when it degraded (monitor.rollback), unless
    ``rollback`` is false (a backfill judges old windows: scores only)."""
    from fuelopt.ml import registry
    from fuelopt.monitor import shadow
    from fuelopt.monitor.champion import model_name
    from fuelopt.monitor.windows import current_window
    from fuelopt.warehouse.db import connect

    name = model_name("cycle")
    cfg = get_settings().monitor.rollback
    with registry_reachable(run_id, name, uri), connect(uri) as conn:
        versions = shadow.shadow_versions(name)
        if not versions:
            return {"scored": {}, "rolled_back": False, "decision": "no champion cycle model"}
        frame, start, end = current_window(conn, when)
        cycles = shadow.live_cycles(frame)
        if end is None or cycles.empty:
            return {"scored": {}, "rolled_back": False, "decision": "no cycle in the window"}
        scores = {
            role: shadow.score_version(name, version, role, cycles)
            for role, version in versions.items()
        }
        scored_at = datetime.now(UTC)
        shadow.write_scores(conn, name, (start, end), list(scores.values()), run_id, scored_at)
        conn.commit()  # the scores stand whatever the registry does next
        since = registry.champion_since(name, versions["champion"])
        recent = shadow.recent_windows(conn, name, versions, end, cfg.sustained_windows)
        why, decision = shadow.rollback_reason(recent, since, now or datetime.now(UTC), cfg)
        summary = {
            "scored": {s.role: {"version": s.version, "mae_l": s.mae_l} for s in scores.values()},
            "rolled_back": False,
            "decision": decision,
        }
        if why is None or not cfg.enabled or not rollback:
            if why is not None:
                off = "disabled (monitor.rollback.enabled)" if rollback else "off in a backfill"
                summary["decision"] = f"{decision}; automatic rollback {off}"
            log.info("shadow scores of %s..%s: %s", start, end, summary["decision"])
            return summary
        row = shadow.rollback_row(name, scores, (start, end), why)
        registry.rollback(
            name,
            f"automatic rollback by {DAG_ID} run {run_id}: {why}",
            tags={"rolled_back_by": f"{DAG_ID}/{run_id}", "rolled_back_at": scored_at.isoformat()},
            expected=versions["champion"],
        )
        write_checks(conn, run_id, "rollback", [row], scored_at, subject=name)
        log.warning("rolled %s back to v%s: %s", name, versions["previous"], why)
        return {**summary, "rolled_back": True, "champion": versions["previous"]}


def run_freshness(run_id: str, when: datetime, uri: str | None = None) -> dict[str, Any]:
    from fuelopt.monitor.freshness import check_freshness
    from fuelopt.warehouse.db import connect

    with connect(uri) as conn:
        rows = check_freshness(conn, when)
        write_checks(conn, run_id, "freshness", rows, datetime.now(UTC))
    return _summary(rows)


def run_cycle_scoring(run_id: str, when: datetime, uri: str | None = None) -> dict[str, Any]:
    """The champion cycle model's litres for the recent good cycles (ops.cycle_predictions)."""
    from fuelopt.ml.scoring import score_cycles
    from fuelopt.warehouse.db import connect

    with connect(uri) as conn:
        return score_cycles(conn, run_id, when, datetime.now(UTC))


def run_retrain_decision(
    run_id: str, *, force: bool = False, block: bool = False, uri: str | None = None
) -> dict[str, Any]:
    from fuelopt.monitor.retrain import decide
    from fuelopt.warehouse.db import connect

    with connect(uri) as conn:
        return decide(conn, run_id, read_checks(conn, run_id), force=force, block=block)


def run_alerts(
    run_id: str, context: dict[str, Any], dag_id: str = DAG_ID, uri: str | None = None
) -> dict[str, Any]:
    """One message for this run's new events (and its retrain decision, read from the log)."""
    from fuelopt.monitor.alerting import send_run_alert
    from fuelopt.monitor.retrain import recorded_decision
    from fuelopt.warehouse.db import connect

    with connect(uri) as conn:
        rows = read_checks(conn, run_id)
        retrain = recorded_decision(conn, run_id)
        return send_run_alert(conn, dag_id, run_id, rows, retrain, context, uri=uri)
