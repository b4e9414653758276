"""What every DAG shares: default task arguments (retries, owner, on-call callback) and docs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fuelopt.alerts.on_call import notify_failure, runbook_link
from fuelopt.config import get_settings


def default_args(**overrides: Any) -> dict[str, Any]:
    """Task defaults for every DAG: owner, exponential-backoff retries and the on-call callback."""
    alerts = get_settings().alerts
    args: dict[str, Any] = {
        "owner": alerts.owner,
        "retries": alerts.retries,
        "retry_delay": timedelta(seconds=alerts.retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(seconds=alerts.max_retry_delay_seconds),
        "on_failure_callback": notify_failure,
    }
    args.update(overrides)
    return args


def dag_doc(dag_id: str, body: str) -> str:
    """``doc_md`` of a DAG: its own text followed by the runbook link on-call needs."""
    return f"{body.strip()}\n\n**On-call runbook:** [{dag_id}]({runbook_link(dag_id)})\n"
