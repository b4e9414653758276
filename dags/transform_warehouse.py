"""transform_warehouse: raw -> cleansed -> features -> marts with dbt (Cosmos), GX gates between."""

from __future__ import annotations

import functools
import operator

from airflow.sdk import dag, get_current_context, task
from cosmos import DbtTaskGroup

from fuelopt.assets import MARTS, RAW_OPERATIONS, RAW_TELEMETRY
from fuelopt.config import get_settings
from fuelopt.dag_defaults import dag_doc, default_args
from fuelopt.transform.cosmos_config import task_group_kwargs

DAG_ID = "transform_warehouse"
settings = get_settings()

DOC = f"""
Builds the warehouse layers with dbt after the raw tables are loaded, one Airflow task per dbt
model, rendered by Cosmos from the dbt manifest written at setup. Mode
`{settings.transform.cosmos_execution_mode}` (`transform.cosmos_execution_mode`): `local` builds
each model and its tests in its own task; `watcher` runs one `dbt build` per layer
(`dbt_producer_watcher`) and shows each model and its tests as sensor tasks. Great Expectations
gates stop the run between layers:

`gate_raw` → dbt cleansed (`stg_*`, `ops.rejects`) → `gate_cleansed` → dbt features →
`gate_features` → dbt marts → `dbt_docs` (emits the marts Asset).

- Gate results: table `ops.dq_results`; GX data docs:
  `{{paths.artifacts_dir}}/{settings.quality.data_docs_dir}/index.html`.
- dbt docs: `{{paths.artifacts_dir}}/{settings.quality.dbt.docs_dir}/index.html`; quarantined rows:
  `ops.rejects`.
"""


@dag(
    dag_id=DAG_ID,
    schedule=functools.reduce(operator.and_, (RAW_TELEMETRY, *RAW_OPERATIONS)),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "transform", "dbt"],
)
def transform_warehouse():
    @task
    def gate_raw() -> dict:
        from fuelopt.transform.tasks import quality_gate

        return quality_gate("raw", run_id=get_current_context()["run_id"])

    @task
    def gate_cleansed() -> dict:
        from fuelopt.transform.tasks import quality_gate

        return quality_gate("cleansed", run_id=get_current_context()["run_id"])

    @task
    def gate_features() -> dict:
        from fuelopt.transform.tasks import quality_gate

        return quality_gate("features", run_id=get_current_context()["run_id"])

    @task(outlets=[MARTS])
    def dbt_docs() -> str:
        """dbt docs; the marts event says how far their data reaches (the raw events' stamps)."""
        from fuelopt.intervals import run_data_end, stamp_event
        from fuelopt.transform.tasks import generate_docs

        ctx = get_current_context()
        stamp_event(ctx, MARTS, run_data_end(ctx))
        return generate_docs()

    cleansed = DbtTaskGroup(**task_group_kwargs("dbt_cleansed", ["models/staging", "models/ops"]))
    features = DbtTaskGroup(**task_group_kwargs("dbt_features", ["models/features"]))
    marts = DbtTaskGroup(**task_group_kwargs("dbt_marts", ["models/marts"]))

    gate_raw() >> cleansed >> gate_cleansed() >> features >> gate_features() >> marts >> dbt_docs()


transform_warehouse()
