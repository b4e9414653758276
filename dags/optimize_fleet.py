"""Nightly: plan the next shift's truck assignment (MILP) and publish it for the pit."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import Param, dag, get_current_context, task

from fuelopt.assets import FLEET_PLAN
from fuelopt.config import get_settings
from fuelopt.dag_defaults import dag_doc, default_args

DAG_ID = "optimize_fleet"

DOC = f"""
### optimize_fleet
Plans the **next shift** after the run (or the shift given by the params `shift_date`, `shift`):
1. **build_scenario**: trucks from `marts.dim_equipment` (type truck, with recent cycles), targets
   from `cleansed.stg_operations__shift_plan`, routes and cycle hours from the last days of
   `features.cycle_features`; litres per cycle for every truck model x route from the champion
   cycle model (`models:/<ml.cycle_model_name>@champion`), else a physics estimate (the plan's
   `fuel_source` says which);
2. **solve**: MILP (PuLP + CBC, limits in `optimize.solver`), scored against a greedy dispatcher,
   validated against every constraint;
3. **publish**: re-validates, replaces the shift's rows of `ops.fleet_plan` (BI:
   `marts.fct_fleet_plan`) and writes the human-readable plan.

**Plan, chart and inputs** of each shift:
`{{paths.artifacts_dir}}/{get_settings().optimize.artifacts_subdir}/<shift_date>_<shift>/`
(`plan.md`, `litres_by_shovel.png`, `plan.json`, `scenario.json`); the publish task logs the
exact paths and returns them in its XCom. An infeasible shift fails `publish` after writing the
report, with the short shovels and the binding constraint in the message.
"""


@dag(
    dag_id=DAG_ID,
    schedule=get_settings().schedules.optimize_fleet,
    start_date=get_settings().schedules.start_date,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "optimize"],
    params={
        "shift_date": Param(
            None, type=["null", "string"], format="date", description="plan this date's shift"
        ),
        "shift": Param("day", enum=["day", "night"], description="with shift_date"),
    },
)
def optimize_fleet() -> None:
    @task
    def build_scenario() -> str:
        from fuelopt.optimize.jobs import build_step

        ctx = get_current_context()
        after = ctx["data_interval_end"] or ctx["logical_date"] or datetime.now(UTC)
        return build_step(after, ctx["params"]["shift_date"], ctx["params"]["shift"])

    @task
    def solve(scenario_path: str) -> dict:
        from fuelopt.optimize.jobs import solve_step

        return solve_step(scenario_path)

    @task(outlets=[FLEET_PLAN])
    def publish(scenario_path: str, solved: dict) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from fuelopt.optimize.jobs import publish_step

        result = publish_step(scenario_path, solved["plan_path"], get_current_context()["run_id"])
        if result["status"] == "infeasible":
            raise AirflowFailException(
                f"infeasible shift, report {result['report']}: {result['reason']}"
            )
        return result

    scenario = build_scenario()
    publish(scenario, solve(scenario))


optimize_fleet()
