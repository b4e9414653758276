"""Nightly: plan the next shift's truck assignment (MILP) and publish it for the pit."""

from __future__ import annotations

from airflow.sdk import (
    Param,
    dag,
    get_current_context,
    task,
)

from fuelopt.assets import CHAMPION_MODEL, FLEET_PLAN, MARTS
from fuelopt.config import get_settings
from fuelopt.dag_defaults import cron_or_assets, dag_doc, default_args

DAG_ID = "optimize_fleet"
settings = get_settings()

DOC = f"""
### optimize_fleet
Plans **every shift of the next `optimize.shift.plan_horizon_hours`** (24 h: the day and the
night shift) after the data the run covers: its schedule's time, or the data the marts and the
champion model events reach. Params `shift_date` (and `shift`) plan a given date instead. Shifts
without targets in the shift plan are skipped with a warning in `ops.alert_log`; none at all fails
the run at once. One mapped task per shift:

1. **build_scenario**: trucks from `marts.dim_equipment` (type truck, with recent cycles), targets
   from `cleansed.stg_operations__shift_plan`, routes and cycle hours from the last days of
   `features.cycle_features`; litres per cycle for every truck model x route from the champion
   cycle model (`models:/<ml.cycle_model_name>@champion`), else a physics estimate (the plan's
   `fuel_source` says which);
2. **solve**: MILP (PuLP + CBC, limits in `optimize.solver`), scored against a greedy dispatcher,
   validated against every constraint;
3. **publish**: re-validates, replaces the shift's rows of `ops.fleet_plan` (BI:
   `marts.fct_fleet_plan`) and writes the human-readable plan;
4. **shift_report**: the published shift's report for the pit (`fuelopt report shift`), PDF and
   Excel: `{{paths.artifacts_dir}}/{settings.reports.shift_subdir}/<date>_<shift>.pdf|xlsx`.

**Plan, chart and inputs** of each shift:
`{{paths.artifacts_dir}}/{settings.optimize.artifacts_subdir}/<shift_date>_<shift>/`
(`plan.md`, `litres_by_shovel.png`, `plan.json`, `scenario.json`); the publish task logs the
exact paths and returns them in its XCom. An infeasible shift fails `publish` after writing the
report, with the short shovels and the binding constraint in the message.
"""


@dag(
    dag_id=DAG_ID,
    schedule=cron_or_assets(settings.schedules.optimize_fleet, MARTS | CHAMPION_MODEL),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "optimize"],
    params={
        "shift_date": Param(
            None, type=["null", "string"], format="date", description="plan this date's shifts"
        ),
        "shift": Param(
            None,
            type=["null", "string"],
            enum=[None, "day", "night"],
            description="with shift_date: only this shift (empty: both)",
        ),
    },
)
def optimize_fleet() -> None:
    @task
    def shifts() -> list[dict]:
        """The shifts to plan that have targets in the shift plan."""
        from fuelopt.intervals import run_data_end
        from fuelopt.optimize.jobs import plannable, shifts_to_plan

        ctx = get_current_context()
        wanted = shifts_to_plan(
            run_data_end(ctx), ctx["params"]["shift_date"], ctx["params"]["shift"]
        )
        return [
            {"shift_date": s.shift_date.isoformat(), "shift": s.shift}
            for s in plannable(wanted, ctx["run_id"])
        ]

    @task(map_index_template="{{ task.op_kwargs['target'].values() | join(' ') }}")
    def build_scenario(target: dict) -> str:
        from datetime import date

        from fuelopt.optimize.build import shift_of
        from fuelopt.optimize.jobs import build_step

        day = date.fromisoformat(target["shift_date"])
        return build_step(shift_of(day, target["shift"], settings.optimize.shift))

    @task
    def solve(scenario_path: str) -> dict:
        from fuelopt.optimize.jobs import solve_step

        return solve_step(scenario_path)

    @task(outlets=[FLEET_PLAN])
    def publish(solved: dict) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from fuelopt.optimize.jobs import publish_step

        run_id = get_current_context()["run_id"]
        result = publish_step(solved["scenario_path"], solved["plan_path"], run_id)
        if result["status"] == "infeasible":
            raise AirflowFailException(
                f"infeasible shift, report {result['report']}: {result['reason']}"
            )
        return result

    @task(
        map_index_template="{{ task.op_kwargs['published']['shift_date'] }} "
        "{{ task.op_kwargs['published']['shift'] }}"
    )
    def shift_report(published: dict) -> list[str]:
        """The published shift's report, PDF and Excel, under reports.shift_subdir."""
        from fuelopt.reports.jobs import write_shift_reports

        return write_shift_reports(published["shift_date"], published["shift"])

    solved = solve.expand(scenario_path=build_scenario.expand(target=shifts()))
    shift_report.expand(published=publish.expand(solved=solved))


optimize_fleet()
