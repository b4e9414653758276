"""What every DAG shares: default task arguments (retries, owner, on-call callback) and docs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable
from croniter import croniter

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
        "execution_timeout": timedelta(minutes=alerts.task_timeout_minutes),
        "on_failure_callback": notify_failure,
    }
    args.update(overrides)
    return args


# A DAG switched on waits for its next tick. Airflow's default would also run the tick just past
# when it is less than a tenth of the period ago (16.8 h for a weekly cron): on a fresh install
# that runs training or reports before the first transform has built anything to read.
NEXT_TICK_ONLY = timedelta(0)


def interval_schedule(cron: str) -> CronTriggerTimetable:
    """Run at each cron tick (UTC) over the data of the period before it: a run due at 01:00 of
    an hourly schedule covers [00:00, 01:00), the way extract DAGs read their source."""
    ticks = croniter(cron, datetime(2000, 1, 3, tzinfo=UTC))
    first = ticks.get_next(datetime)
    return CronTriggerTimetable(
        cron,
        timezone="UTC",
        interval=ticks.get_next(datetime) - first,
        run_immediately=NEXT_TICK_ONLY,
    )


def cron_or_assets(cron: str, assets: Any) -> AssetOrTimeSchedule:
    """Run at each cron tick (UTC) and whenever ``assets`` (an Asset or a condition) update."""
    timetable = CronTriggerTimetable(cron, timezone="UTC", run_immediately=NEXT_TICK_ONLY)
    return AssetOrTimeSchedule(timetable=timetable, assets=assets)


def dag_doc(dag_id: str, body: str) -> str:
    """``doc_md`` of a DAG: its own text followed by the runbook link on-call needs."""
    return f"{body.strip()}\n\n**On-call runbook:** [{dag_id}]({runbook_link(dag_id)})\n"
