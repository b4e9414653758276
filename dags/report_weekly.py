"""Weekly: the mine manager's report (PDF and Excel) of the week the data has reached."""

from __future__ import annotations

from airflow.sdk import (
    Param,
    dag,
    get_current_context,
    task,
)

from fuelopt.assets import MARTS
from fuelopt.config import get_settings
from fuelopt.dag_defaults import cron_or_assets, dag_doc, default_args

DAG_ID = "report_weekly"
settings = get_settings()

DOC = f"""
### report_weekly
Writes the weekly report (`fuelopt report weekly`), PDF and Excel, of the ISO week holding the
run's data end minus `reports.weekly_data_lag_hours` (the last whole day: the Monday tick reports
the week that just ended; a run on new marts reports the week to date):
litres per tonne and its trend over `reports.trend_weeks` weeks (`marts.fct_fuel_daily`,
`marts.fct_haul_cycles`), demand forecasts against actuals with their intervals
(`marts.fct_fuel_forecast`, `marts.fct_model_performance`), the week's fleet plans with their
predicted saving against the greedy dispatcher and the litres actually hauled
(`marts.fct_fleet_plan`), drift status (`marts.fct_drift_checks`) and data quality
(`ops.dq_results`, `ops.rejects`).

Files: `{{paths.artifacts_dir}}/{settings.reports.weekly_subdir}/<YYYY-Www>.pdf|xlsx`
(the task returns the paths). Param `week` (YYYY-Www) reports a given week instead. A week
without data in `marts.fct_fuel_daily` fails at once, naming the week.
"""


@dag(
    dag_id=DAG_ID,
    description="Weekly PDF and Excel report: litres per tonne, forecasts, savings, drift, DQ.",
    schedule=cron_or_assets(settings.schedules.report_weekly, MARTS),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "report"],
    params={
        "week": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-W\d{2}$",
            description="report this ISO week (YYYY-Www) instead of the run's",
        ),
    },
)
def report_weekly() -> None:
    @task
    def weekly_report() -> list[str]:
        """Both formats of the week's report; their paths."""
        from fuelopt.intervals import run_data_end
        from fuelopt.reports.jobs import report_week, write_weekly_reports

        ctx = get_current_context()
        return write_weekly_reports(ctx["params"]["week"] or report_week(run_data_end(ctx)))

    weekly_report()


report_weekly()
