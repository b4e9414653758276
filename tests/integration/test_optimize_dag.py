"""optimize_fleet end to end with dag.test() on a real test warehouse (PostgreSQL) and real CBC.

The inputs (marts.dim_equipment, cleansed.stg_operations__shift_plan, features.cycle_features)
and the view the shift report reads (marts.fct_fleet_plan) are built by dbt from the synthetic
mine loaded into raw. No MLflow champion exists in the test's store, so litres come from
physics.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from fuelopt.config import PROJECT_ROOT, get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def mine(warehouse_uri, tmp_path):
    """Synthetic mine loaded into raw and built by dbt up to the relations the DAG reads and the
    view the shift report reads; the last planned shift."""
    from fuelopt.synth import MineSpec, generate_operations
    from fuelopt.transform.dbt_run import run_dbt
    from tests.support.raw_data import load_operations

    ops = generate_operations(MineSpec(seed=7, days=3, trucks=8, shovels=3, dumps=2, clean=True))
    load_operations(warehouse_uri, ops)
    select = ["+dim_equipment", "+stg_operations__shift_plan", "+cycle_features", "+fct_fleet_plan"]
    run_dbt(["run", "--select", *select], uri=warehouse_uri, target_path=tmp_path / "dbt")
    eq = ops["equipment"]
    last = ops["shift_plan"].sort_values(["shift_date", "shift"]).iloc[-1]
    return {
        "shift_date": str(last["shift_date"]),
        "shift": str(last["shift"]),
        "trucks": set(eq.loc[eq.equipment_type == "truck", "equipment_id"]),
    }


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Artifacts and MLflow under tmp_path (no champion registered there)."""
    monkeypatch.setenv("FUELOPT__PATHS__ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    get_settings.cache_clear()
    yield tmp_path / "artifacts"
    get_settings.cache_clear()


def _run(params: dict) -> str:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "optimize_fleet.py"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.get_dag("optimize_fleet")
    run = dag.test(logical_date=datetime.now(UTC) - timedelta(minutes=1), run_conf=params)
    return str(run.state)


def test_plans_publishes_and_reruns_idempotently(airflow_home, warehouse_uri, mine, isolated):
    params = {"shift_date": mine["shift_date"], "shift": mine["shift"]}
    assert _run(params) == "success"
    folder = (
        isolated
        / get_settings().optimize.artifacts_subdir
        / (f"{mine['shift_date']}_{mine['shift']}")
    )
    plan = json.loads((folder / "plan.json").read_text())
    assert plan["status"] in ("optimal", "feasible")
    assert plan["fuel_source"] == "physics"
    assert (folder / "litres_by_shovel.png").stat().st_size > 0
    report = (folder / "plan.md").read_text()
    assert "| truck | shovel |" in report and plan["status"] in report
    reports = get_settings().paths.artifact(get_settings().reports.shift_subdir)
    for fmt in ("pdf", "xlsx"):
        assert (reports / f"{mine['shift_date']}_{mine['shift']}.{fmt}").stat().st_size > 0

    ops = get_settings().warehouse.schemas.ops
    query = (
        f"SELECT truck_id, shovel_id, dump_id, cycles, predicted_fuel_l, status, fuel_source, "
        f"objective_fuel_l, predicted_cost, predicted_co2_kg, saving_l, currency "
        f"FROM {ops}.fleet_plan WHERE shift_date = %s AND shift = %s "
        "ORDER BY 1, 2, 3"
    )
    with psycopg.connect(warehouse_uri) as conn:
        first = conn.execute(query, (mine["shift_date"], mine["shift"])).fetchall()
    assert {r[0] for r in first} <= mine["trucks"]
    assert sum(r[4] for r in first) == pytest.approx(plan["objective_fuel_l"])
    assert sum(r[3] for r in first) == sum(a["cycles"] for a in plan["assignments"])
    assert {r[6] for r in first} == {"physics"}
    prices = get_settings().reports
    assert [r[8] for r in first] == pytest.approx([r[4] * prices.diesel_price_per_l for r in first])
    assert [r[9] for r in first] == pytest.approx([r[4] * prices.co2_kg_per_l for r in first])
    assert [r[10] for r in first] == pytest.approx([plan["saving_l"]] * len(first))
    assert {r[11] for r in first} == {prices.currency}
    assert "CO2" in report and prices.currency in report

    assert _run(params) == "success"  # re-run replaces the shift's rows
    with psycopg.connect(warehouse_uri) as conn:
        second = conn.execute(query, (mine["shift_date"], mine["shift"])).fetchall()
        runs = conn.execute(
            f"SELECT count(DISTINCT run_id) FROM {ops}.fleet_plan WHERE shift_date = %s",
            (mine["shift_date"],),
        ).fetchone()[0]
    assert [r[:6] for r in second] == [r[:6] for r in first]
    assert runs == 1


def test_infeasible_shift_fails_without_publishing(airflow_home, warehouse_uri, mine, isolated):
    cleansed = get_settings().warehouse.schemas.cleansed
    with psycopg.connect(warehouse_uri) as conn:
        conn.execute(
            f"UPDATE {cleansed}.stg_operations__shift_plan SET target_t = target_t * 100 "
            "WHERE shift_date = %s AND shift = %s",
            (mine["shift_date"], mine["shift"]),
        )
    assert _run({"shift_date": mine["shift_date"], "shift": mine["shift"]}) == "failed"
    folder = (
        isolated
        / get_settings().optimize.artifacts_subdir
        / (f"{mine['shift_date']}_{mine['shift']}")
    )
    plan = json.loads((folder / "plan.json").read_text())
    assert plan["status"] == "infeasible" and "short by" in plan["reason"]
    assert "infeasible" in (folder / "plan.md").read_text()
    ops = get_settings().warehouse.schemas.ops
    with psycopg.connect(warehouse_uri) as conn:
        assert conn.execute(f"SELECT count(*) FROM {ops}.fleet_plan").fetchone()[0] == 0


def _run_at(when: datetime):
    """A run as the scheduler makes it: no params, only its data interval."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "optimize_fleet.py"))
    return bag.get_dag("optimize_fleet").test(logical_date=when)


def test_nightly_run_without_params_plans_both_coming_shifts(
    airflow_home, warehouse_uri, mine, isolated
):
    day = datetime.fromisoformat(mine["shift_date"]).replace(hour=2, tzinfo=UTC)
    assert str(_run_at(day).state) == "success"

    ops = get_settings().warehouse.schemas.ops
    with psycopg.connect(warehouse_uri) as conn:
        planned = conn.execute(
            f"SELECT DISTINCT shift_date::text, shift FROM {ops}.fleet_plan ORDER BY 2"
        ).fetchall()
        alerts = conn.execute(f"SELECT count(*) FROM {ops}.alert_log").fetchone()[0]
    assert planned == [(mine["shift_date"], "day"), (mine["shift_date"], "night")]
    assert alerts == 0


def test_night_without_shift_plan_alerts_and_fails_at_once(
    airflow_home, warehouse_uri, mine, isolated
):
    after = datetime.fromisoformat(mine["shift_date"]).replace(hour=2, tzinfo=UTC)
    run = _run_at(after + timedelta(days=1))

    assert str(run.state) == "failed"
    (shifts,) = [ti for ti in run.get_task_instances() if ti.task_id == "shifts"]
    assert str(shifts.state) == "failed" and shifts.try_number == 1
    ops = get_settings().warehouse.schemas.ops
    with psycopg.connect(warehouse_uri) as conn:
        kinds = conn.execute(f"SELECT kind, severity FROM {ops}.alert_log").fetchall()
    assert kinds.count(("no_shift_plan", "warning")) == 2
