"""marts.fct_plan_adherence on a small mine: a plan published for a past shift (one with haul
cycles) is held against what the trucks did, and bi_reader reads the result."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.pipeline import adherence_lines
from fuelopt.synth import MineSpec
from fuelopt.transform.dbt_run import run_dbt
from fuelopt.warehouse.db import query_frame
from tests.support.marts import as_role
from tests.support.raw_data import MineData, load_mine_days

pytestmark = [pytest.mark.integration]

DAYS = 3


def _query(uri: str, sql: str) -> pd.DataFrame:
    with psycopg.connect(uri) as conn:
        return query_frame(conn, sql)


def test_a_published_past_plan_is_held_against_the_cycles(
    warehouse_uri, mlflow_store, tmp_path, monkeypatch
):
    from fuelopt.optimize.build import shift_of
    from fuelopt.optimize.jobs import build_step, publish_step, solve_step

    monkeypatch.setenv("FUELOPT__PATHS__ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    settings = get_settings()
    mine = MineData.generate(MineSpec(seed=3, days=DAYS, trucks=4, shovels=2, dumps=1))
    load_mine_days(warehouse_uri, mine, range(DAYS))
    target_path = tmp_path / "target"
    run_dbt(["build"], uri=warehouse_uri, target_path=target_path)
    assert _query(warehouse_uri, "SELECT count(*) AS n FROM marts.fct_plan_adherence")["n"][0] == 0
    reader = as_role(warehouse_uri, settings.warehouse.roles.bi_reader)
    monkeypatch.setenv("AIRFLOW_CONN_FUELOPT_BI_READER", reader)
    assert adherence_lines() == ["Plan adherence: none yet (no planned shift has haul cycles)"]

    # The last day's day shift: it has cycles, and the day shifts before it are unplanned.
    day = _query(
        warehouse_uri,
        "SELECT max(shift_date) AS d FROM cleansed.stg_operations__shift_plan WHERE shift = 'day'",
    )["d"][0]
    target = shift_of(day, "day", settings.optimize.shift)
    solved = solve_step(build_step(target))
    assert solved["status"] in ("optimal", "feasible"), solved
    published = publish_step(solved["scenario_path"], solved["plan_path"], "adherence")
    assert published["rows"] > 0
    # A view: the published plan shows before the next dbt run.
    shown = "SELECT count(*) AS n FROM marts.fct_plan_adherence"
    assert _query(warehouse_uri, shown)["n"][0] > 0
    run_dbt(["build"], uri=warehouse_uri, target_path=target_path)  # its tests pass, or it raises

    adherence = _query(
        warehouse_uri, "SELECT * FROM marts.fct_plan_adherence ORDER BY truck_id"
    ).set_index("truck_id")
    plan = _query(
        warehouse_uri,
        "SELECT truck_id, sum(cycles) AS cycles, sum(planned_tonnes) AS tonnes,"
        " sum(predicted_fuel_l) AS fuel_l FROM marts.fct_fleet_plan"
        f" WHERE shift_date = '{day}' AND shift = 'day' GROUP BY truck_id",
    ).set_index("truck_id")
    end = target.start + timedelta(hours=settings.optimize.shift.shift_hours)
    start, end = target.start.isoformat(), end.isoformat()
    cycles = _query(
        warehouse_uri,
        "SELECT truck_id, count(*) AS cycles, sum(fuel_l) AS fuel_l, sum(payload_t) AS tonnes"
        f" FROM marts.fct_haul_cycles WHERE load_start >= '{start}' AND load_start < '{end}'"
        " GROUP BY truck_id",
    ).set_index("truck_id")

    # One row per planned truck that hauled in the shift, and only for the planned shift.
    assert set(adherence.index) == set(plan.index) & set(cycles.index)
    assert len(adherence) > 0
    assert (adherence["shift_date"].astype(str) == str(day)).all()
    assert (adherence["shift"] == "day").all()
    assert adherence["actual_cycles"].to_dict() == cycles.loc[adherence.index, "cycles"].to_dict()
    assert adherence["planned_cycles"].to_dict() == plan.loc[adherence.index, "cycles"].to_dict()
    assert adherence["actual_fuel_l"].to_numpy() == pytest.approx(
        cycles.loc[adherence.index, "fuel_l"].to_numpy()
    )
    assert adherence["planned_tonnes"].to_numpy() == pytest.approx(
        plan.loc[adherence.index, "tonnes"].to_numpy()
    )
    assert (adherence["planned_tonnes"] > 0).all()
    assert adherence["planned_litres_per_t"].to_numpy() == pytest.approx(
        (plan.loc[adherence.index, "fuel_l"] / plan.loc[adherence.index, "tonnes"]).to_numpy()
    )
    assert adherence["adherence_pct"].between(0, 100).all()
    assert (adherence["cycles_at_planned_shovel"] <= adherence["actual_cycles"]).all()
    shift_lpt = cycles["fuel_l"].sum() / cycles["tonnes"].sum()
    assert adherence["shift_litres_per_t"].to_numpy() == pytest.approx(shift_lpt)
    assert (adherence["unplanned_shifts"] == DAYS - 1).all()  # the earlier day shifts
    assert adherence["unplanned_litres_per_t"].notna().all()

    with psycopg.connect(reader, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "bi_reader"
        rows = conn.execute("SELECT count(*) FROM marts.fct_plan_adherence").fetchone()[0]
    assert rows == len(adherence)

    # The main job's summary line of the shift, read as bi_reader.
    lines = adherence_lines()
    worked = plan.loc[adherence.index]
    planned_lpt = worked["fuel_l"].sum() / worked["tonnes"].sum()
    share = 100 * adherence["cycles_at_planned_shovel"].sum() / adherence["actual_cycles"].sum()
    assert lines[0].startswith("Plan adherence (")
    assert lines[1].split()[:4] == [str(day), "day", str(len(adherence)), "trucks,"]
    assert f"{share:.0f} % of cycles at the planned shovel" in lines[1]
    assert f"planned {planned_lpt:.3f}, realised {shift_lpt:.3f}" in lines[1]
