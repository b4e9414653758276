"""extract_telemetry: PostgREST truck telemetry -> raw.truck_telemetry, every hour."""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from fuelopt.assets import RAW_TELEMETRY
from fuelopt.config import get_settings
from fuelopt.dag_defaults import dag_doc, default_args, interval_schedule
from fuelopt.sources.tasks import SINCE_HELP, UNTIL_HELP

DAG_ID = "extract_telemetry"
settings = get_settings()

DOC = f"""
### Extract telemetry (PostgREST → raw)

Reads one data interval of `truck_telemetry` from PostgREST (connection
`{settings.connections.telemetry_api}`, bearer token in its password): keyset pages ordered by
`ts, truck_id`, retried with backoff on 5xx/timeouts, row count checked against PostgREST's exact
count. Streams the pages into `raw.truck_telemetry` with COPY in **one transaction** that first
deletes the window, so re-runs and backfills never duplicate rows (two loads of the table take
turns, so a backfill beside a scheduled run cannot either). Each scheduled run re-reads
`sources.postgrest.lookback_hours` ({settings.sources.postgrest.lookback_hours} h) before its
interval to pick up late rows. Writes `ops.load_audit` and `ops.watermarks`; emits the
`raw.truck_telemetry` Asset.

Manual backfill: trigger with params `since` / `until` (ISO timestamps).
"""


@dag(
    dag_id=DAG_ID,
    schedule=interval_schedule(settings.schedules.extract_telemetry),
    catchup=False,  # missed hours are caught up from the watermark by the next run
    max_active_runs=settings.sources.dags.max_active_runs,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "extract", "telemetry"],
    params={
        "since": Param(None, type=["null", "string"], description=SINCE_HELP),
        "until": Param(None, type=["null", "string"], description=UNTIL_HELP),
    },
)
def extract_telemetry():
    @task(outlets=[RAW_TELEMETRY])
    def load_truck_telemetry():
        """PostgREST -> raw.truck_telemetry for this run's window; returns the load audit."""
        from fuelopt.sources.tasks import telemetry_task

        return telemetry_task(get_current_context(), RAW_TELEMETRY)

    load_truck_telemetry()


extract_telemetry()
