"""Weekly, or when monitoring asks: retrain the cycle fuel model and the fuel demand forecast,
gate each challenger against its champion, and issue the tracked 7/15/30-day forecasts."""

from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from fuelopt.assets import CHAMPION_MODEL, RETRAIN_REQUEST
from fuelopt.config import get_settings
from fuelopt.dag_defaults import cron_or_assets, dag_doc, default_args

DAG_ID = "train_models"
settings = get_settings()

DOC = """
### train_models
Reads `features.cycle_features` and `features.daily_site_features`, validates them, then for each
model: walk-forward validation against its baselines, final fit, one MLflow run (params, metrics,
walk-forward table, importance and residual plots, model card, `reference/cycle_features.parquet`),
a new registered version aliased `challenger`. The gate scores the challenger and the current
`@champion` on the same latest folds and moves `champion` only when the challenger is better by
`ml.promotion.margin_pct` and passes the sanity checks (no NaN, physical bounds); otherwise the
version is tagged `validation_status=rejected` with the reason. Finally the demand champion's
7/15/30-day forecasts go to `ops.predictions` (replaced, not duplicated, on a re-run).
Emits `model.cycle_fuel.champion` only when the cycle model's champion alias moved.
"""


def _run_tags() -> dict[str, str]:
    ctx = get_current_context()
    return {"airflow_dag_id": DAG_ID, "airflow_run_id": ctx["run_id"]}


@dag(
    dag_id=DAG_ID,
    schedule=cron_or_assets(settings.schedules.train_models, RETRAIN_REQUEST),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=dag_doc(DAG_ID, DOC),
    tags=["fuelopt", "ml"],
)
def train_models() -> None:
    @task
    def validate_features() -> dict:
        from fuelopt.ml import training

        return training.validate_inputs()

    @task
    def train_cycle_model() -> dict:
        from fuelopt.ml import training

        return training.train_cycle_challenger(training.load_cycles(), _run_tags())

    @task
    def gate_cycle_model(challenger: dict) -> dict:
        from fuelopt.ml import training

        return training.gate_cycle(training.load_cycles(), challenger)

    @task(outlets=[CHAMPION_MODEL])
    def publish_champion(decision: dict) -> dict:
        """Emits the Asset only when the alias moved: a skipped task emits no Asset event."""
        from airflow.sdk.exceptions import AirflowSkipException

        if not decision["promoted"]:
            raise AirflowSkipException(f"champion unchanged: {decision['reason']}")
        from fuelopt.intervals import run_data_end, stamp_event

        ctx = get_current_context()
        stamp_event(
            ctx,
            CHAMPION_MODEL,
            run_data_end(ctx),
            version=decision["version"],
            previous=decision["previous"],
        )
        return decision

    @task
    def train_demand_model() -> dict:
        from fuelopt.intervals import run_data_end
        from fuelopt.ml import training

        daily = training.load_daily(until=run_data_end(get_current_context()))
        return training.train_demand_challenger(daily, _run_tags())

    @task
    def gate_demand_model(challenger: dict) -> dict:
        from fuelopt.intervals import run_data_end
        from fuelopt.ml import training

        daily = training.load_daily(until=run_data_end(get_current_context()))
        return training.gate_demand(daily, challenger)

    @task
    def issue_forecasts(decision: dict) -> dict:
        """Forecasts from the last day the run's data completes (a partial day is no origin)."""
        from fuelopt.intervals import run_data_end
        from fuelopt.ml import training

        ctx = get_current_context()
        data_end = run_data_end(ctx)
        daily = training.load_daily(until=data_end)
        return training.issue_forecasts(daily, data_end, ctx["run_id"])

    checked = validate_features()
    cycle = train_cycle_model()
    demand = train_demand_model()
    checked >> [cycle, demand]
    publish_champion(gate_cycle_model(cycle))
    issue_forecasts(gate_demand_model(demand))


train_models()
