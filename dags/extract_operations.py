"""extract_operations: SQL Server operations tables -> raw.*, every day."""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from fuelopt.assets import RAW_OPERATIONS
from fuelopt.config import get_settings
from fuelopt.dag_defaults import dag_doc, default_args, interval_schedule
from fuelopt.sources.tasks import SINCE_HELP, UNTIL_HELP

DAG_ID = "extract_operations"
settings = get_settings()
TABLES = {asset.name.split(".", 1)[1]: asset for asset in RAW_OPERATIONS}

DOC = f"""
### Extract operations (SQL Server → raw)

One task per table of SQL Server schema `{settings.sources.operations.db_schema}` (connection
`{settings.connections.operations}`; a PostgreSQL stand-in locally): `haul_cycles` and
`fuel_dispatch` incrementally on `modified_at` for the data interval (widened back by
`sources.operations.lookback_hours`), so late corrections are picked up, `equipment` and
`shift_plan` as full snapshots. SQLAlchemy Core queries under a query timeout, streamed in
`fetchmany` chunks, then into `raw.<table>` in **one transaction per table** (delete the keys read,
or the whole snapshot table, insert), so re-runs and backfills never duplicate rows and a
corrected row replaces the old one. Writes `ops.load_audit` and `ops.watermarks`; emits one Asset
per raw table.

Manual backfill: trigger with params `since` / `until` (ISO timestamps).
"""


@dag(
    dag_id=DAG_ID,
    schedule=interval_schedule(settings.schedules.extract_operations),
    catchup=False,  # missed days are caught up from the watermark by the next run
    max_active_runs=settings.sources.dags.max_active_runs,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "extract", "operations"],
    params={
        "since": Param(None, type=["null", "string"], description=SINCE_HELP),
        "until": Param(None, type=["null", "string"], description=UNTIL_HELP),
    },
)
def extract_operations():
    @task
    def load_table(table: str):
        """SQL Server -> raw.<table> for this run's window; returns the load audit."""
        from fuelopt.sources.tasks import operations_task

        return operations_task(table, get_current_context(), TABLES[table])

    for table, asset in TABLES.items():
        load_table.override(task_id=f"load_{table}", outlets=[asset])(table=table)


extract_operations()
