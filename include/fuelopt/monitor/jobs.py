"""The steps of the ``monitor_drift`` DAG, one function per task (each idempotent per run)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

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
