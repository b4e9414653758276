"""Every six hours: data and prediction drift, forecast accuracy against actuals, shadow scores
of the cycle fuel models (and an automatic rollback of a degraded champion), source freshness;
one on-call message per run and, when decided, a retrain request Asset."""

from __future__ import annotations

from airflow.sdk import (
    Param,
    dag,
    get_current_context,
    task,
)

from fuelopt.assets import MARTS, RETRAIN_REQUEST
from fuelopt.config import get_settings
from fuelopt.dag_defaults import cron_or_assets, dag_doc, default_args

DAG_ID = "monitor_drift"
settings = get_settings()

DOC = """
### monitor_drift
Writes one row per check and column to `ops.drift_checks` (read by BI as `marts.fct_drift_checks`):
- **data_drift**: the last hours of `features.cycle_features` against the champion cycle model's
  training profile (or, with no champion, the preceding days of the warehouse): PSI, KS /
  chi-square with Holm correction; **prediction_drift** of the champion's predictions;
- **accuracy**: tracked demand forecasts (`ops.predictions`) against `marts.fct_fuel_daily`,
  MAPE degradation per horizon against the champion's validation;
- **freshness**: minutes since the newest raw telemetry and operations rows;
- **shadow_scores**: the cycle fuel champion, the previous champion and an unpromoted challenger
  scored on the window's haul cycles (`ops.shadow_scores`, BI: `marts.fct_model_shadow`); a
  champion whose live MAE exceeds its validation MAE by `monitor.rollback.margin_pct` after
  `grace_hours`, when the previous champion did better on the same cycles, is rolled back
  (a `rollback` row in `ops.drift_checks`, alerted).

`score_cycles` writes the champion cycle model's litres for the recent good haul cycles to
`ops.cycle_predictions` (each cycle once per model version), the counterfactual of the
`truck_excess` lever of `marts.fct_fuel_savings` (a view: its rows appear at once).

Then decides a retrain (sustained drift or degraded accuracy, behind a circuit breaker, logged in
`ops.retrain_requests`), emits `request.retrain` only when accepted, and sends one message
summarising every new event (repeats within the cooldown are not re-sent).
Params: `force_retrain`, `block_retrain`.
"""


@dag(
    dag_id=DAG_ID,
    schedule=cron_or_assets(settings.schedules.monitor_drift, MARTS),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "monitor"],
    params={
        "force_retrain": Param(False, type="boolean", description="request a retrain now"),
        "block_retrain": Param(False, type="boolean", description="never request one this run"),
    },
)
def monitor_drift() -> None:
    @task
    def data_drift() -> dict:
        from fuelopt.intervals import run_data_end
        from fuelopt.monitor import jobs

        ctx = get_current_context()
        return jobs.run_data_drift(ctx["run_id"], run_data_end(ctx))

    @task
    def accuracy() -> dict:
        from fuelopt.intervals import run_data_end
        from fuelopt.monitor import jobs

        ctx = get_current_context()
        return jobs.run_accuracy(ctx["run_id"], run_data_end(ctx))

    @task
    def shadow_scores() -> dict:
        from fuelopt.intervals import is_backfill, run_data_end
        from fuelopt.monitor import jobs

        ctx = get_current_context()
        return jobs.run_shadow(ctx["run_id"], run_data_end(ctx), rollback=not is_backfill(ctx))

    @task
    def freshness() -> dict:
        from fuelopt.intervals import run_data_end
        from fuelopt.monitor import jobs

        ctx = get_current_context()
        return jobs.run_freshness(ctx["run_id"], run_data_end(ctx))

    @task
    def score_cycles() -> dict:
        from fuelopt.intervals import run_data_end
        from fuelopt.monitor import jobs

        ctx = get_current_context()
        return jobs.run_cycle_scoring(ctx["run_id"], run_data_end(ctx))

    @task(trigger_rule="all_done")
    def decide_retrain() -> dict:
        from fuelopt.monitor import jobs

        ctx = get_current_context()
        params = ctx["params"]
        return jobs.run_retrain_decision(
            ctx["run_id"],
            force=bool(params["force_retrain"]),
            block=bool(params["block_retrain"]),
        )

    @task(outlets=[RETRAIN_REQUEST])
    def request_retrain(decision: dict) -> dict:
        """Emits the Asset on success only: a skipped task emits no Asset event."""
        from airflow.sdk.exceptions import AirflowSkipException

        if not decision["accepted"]:
            raise AirflowSkipException(decision["blocked_by"] or "no reason to retrain")
        from fuelopt.intervals import run_data_end, stamp_event

        ctx = get_current_context()
        stamp_event(
            ctx, RETRAIN_REQUEST, run_data_end(ctx), run_id=ctx["run_id"], reason=decision["reason"]
        )
        return decision

    @task(trigger_rule="all_done")
    def send_alerts() -> dict:
        from fuelopt.monitor import jobs

        ctx = get_current_context()
        return jobs.run_alerts(ctx["run_id"], ctx)

    decision = decide_retrain()
    [data_drift(), accuracy(), shadow_scores(), freshness()] >> decision
    request_retrain(decision)
    decision >> send_alerts()
    score_cycles()


monitor_drift()
