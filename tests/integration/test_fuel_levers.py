"""Where the diesel goes: telemetry per truck-shift, its reconciliation and the saving levers of
marts.fct_fuel_savings against the synthetic mine's truth (fuelopt.synth.levers)."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec
from fuelopt.synth.generate import Mine
from fuelopt.synth.levers import lever_truth
from fuelopt.transform.dbt_run import DbtFailed, run_dbt
from fuelopt.warehouse.db import query_frame
from tests.support.raw_data import MineData, load_mine_days

DAYS = 8
TOLERANCE = 0.15  # the bar: every lever within +-15 % of truth
SPEC = MineSpec(seed=18, days=DAYS, trucks=8, shovels=2, dumps=2)


@pytest.fixture(scope="module")
def built(module_warehouse_uri, tmp_path_factory) -> dict:
    """The mine loaded day by day and built by dbt (defects on), with its lever truth."""
    mine = MineData.generate(SPEC)
    load_mine_days(module_warehouse_uri, mine, range(DAYS))
    target = tmp_path_factory.mktemp("target")
    run_dbt(["build"], uri=module_warehouse_uri, target_path=target)  # raises on a failed test
    return {"uri": module_warehouse_uri, "truth": lever_truth(Mine(SPEC)), "target": target}


def _query(uri: str, sql: str) -> pd.DataFrame:
    with psycopg.connect(uri) as conn:
        return query_frame(conn, sql)


def _estimates(uri: str) -> pd.Series:
    frame = _query(
        uri, "SELECT lever, sum(saving_l) AS litres FROM marts.fct_fuel_savings GROUP BY 1"
    )
    return frame.set_index("lever")["litres"]


@pytest.mark.parametrize(
    "lever", ["idle_above_benchmark", "queuing", "under_loading", "road_condition"]
)
def test_lever_estimate_is_within_15_pct_of_truth(built, lever):
    truth = built["truth"]["litres"][lever]
    estimate = float(_estimates(built["uri"]).get(lever, 0.0))
    assert truth > 0
    assert estimate == pytest.approx(truth, rel=TOLERANCE), (lever, estimate, truth)


def test_road_routes_ranked_as_truth_ranks_them(built):
    """The route whose roads cost most in truth is the estimate's worst route too."""
    routes = _query(
        built["uri"],
        "SELECT shovel_id, dump_id, sum(saving_l) AS litres FROM marts.fct_fuel_savings"
        " WHERE lever = 'road_condition' GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
    )
    worst = built["truth"]["road_condition_by_route"][0]
    assert (routes.iloc[0]["shovel_id"], routes.iloc[0]["dump_id"]) == (
        worst["shovel_id"], worst["dump_id"],
    )  # fmt: skip
    ranks = _query(
        built["uri"],
        "SELECT shift_date, shift, route_rank, saving_l FROM marts.fct_fuel_savings"
        " WHERE lever = 'road_condition' ORDER BY shift_date, shift, route_rank",
    )
    for _, group in ranks.groupby(["shift_date", "shift"]):
        assert group["route_rank"].tolist() == list(range(1, len(group) + 1))
        assert group["saving_l"].is_monotonic_decreasing


def test_cost_and_co2_use_the_configured_price_and_factor(built):
    cfg = get_settings().reports
    rows = _query(
        built["uri"], "SELECT saving_l, saving_cost, saving_co2_kg FROM marts.fct_fuel_savings"
    )
    assert len(rows) > 0
    assert rows["saving_cost"].tolist() == pytest.approx(
        (rows["saving_l"] * cfg.diesel_price_per_l).tolist()
    )
    assert rows["saving_co2_kg"].tolist() == pytest.approx(
        (rows["saving_l"] * cfg.co2_kg_per_l).tolist()
    )


def test_truck_shifts_cover_the_mine_and_reconcile(built):
    """Every working truck-shift is a row; most are complete and so judged by the dbt tests."""
    shifts = _query(built["uri"], "SELECT * FROM marts.fct_truck_shift_fuel")
    assert len(shifts) == SPEC.trucks * DAYS * 2
    status_l = shifts[
        [f"{s}_l" for s in ("hauling", "loading", "dumping", "queuing", "idle", "down")]
    ]
    assert status_l.sum(axis=1).tolist() == pytest.approx(shifts["fuel_l"].tolist())
    complete = shifts[shifts["is_complete"] == 1]
    assert len(complete) >= 0.8 * len(shifts[shifts["cycles"] > 0])
    ratio = complete["fuel_l"].sum() / complete["dispatched_l"].sum()
    assert ratio == pytest.approx(1.0, abs=0.02)


def test_reconciliation_fails_the_build_beyond_its_tolerance(built, monkeypatch):
    """A tolerance tighter than the telemetry noise makes the reconciliation tests fail dbt."""
    monkeypatch.setenv("FUELOPT__QUALITY__FUEL__DISPATCH_TOLERANCE_PCT", "0.01")
    get_settings.cache_clear()
    try:
        with pytest.raises(DbtFailed, match="reconciles_with"):
            run_dbt(
                ["test", "--select", "truck_shift_telemetry"],
                uri=built["uri"],
                target_path=built["target"],
            )
    finally:
        monkeypatch.delenv("FUELOPT__QUALITY__FUEL__DISPATCH_TOLERANCE_PCT")
        get_settings.cache_clear()


def test_top_levers_of_the_last_days_for_the_main_job_summary(built):
    from psycopg.rows import dict_row

    from fuelopt.warehouse.marts import top_levers
    from tests.support.marts import as_role

    cfg = get_settings().reports
    rows = _query(built["uri"], "SELECT shift_date, lever, saving_l FROM marts.fct_fuel_savings")
    recent = rows[
        pd.to_datetime(rows["shift_date"])
        > pd.to_datetime(rows["shift_date"]).max() - pd.Timedelta(days=cfg.summary_levers_days)
    ]
    expected = recent.groupby("lever")["saving_l"].sum().sort_values(ascending=False)
    reader = as_role(built["uri"], get_settings().warehouse.roles.bi_reader)
    with psycopg.connect(reader, row_factory=dict_row) as conn:
        top = top_levers(conn)
    assert top is not None and len(top) == min(cfg.summary_levers_top_n, len(expected))
    assert [r["lever"] for r in top] == expected.index[: len(top)].tolist()
    assert [r["saving_l"] for r in top] == pytest.approx(expected.iloc[: len(top)].tolist())
    assert top[0]["saving_cost"] == pytest.approx(top[0]["saving_l"] * cfg.diesel_price_per_l)
