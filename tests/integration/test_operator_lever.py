"""The operator lever of marts.fct_fuel_savings (issue 18): a champion cycle model trained by the
project on the mine's dbt-built features scores its cycles; per operator of a truck, the litres
above the fleet's benchmark efficiency are held against the synthetic mine's truth
(truth.json levers.litres.operator, from the generator's own operator factors). A source without
operator_id (an older SQL Server schema) loads NULL with a warning and gives no operator rows."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

import pandas as pd
import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec
from fuelopt.synth.generate import Mine
from fuelopt.synth.levers import lever_truth
from fuelopt.transform.dbt_run import run_dbt
from fuelopt.warehouse.db import query_frame
from tests.support.champion import train_and_score_champion
from tests.support.raw_data import MineData, load_mine_days

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.support.sources"]

DAYS = 16  # the champion learns from the first half and scores the second
SCORED = range(DAYS // 2, DAYS)
TOLERANCE = 0.15  # the bar: every lever within +-15 % of truth
SPEC = MineSpec(seed=18, days=DAYS, trucks=8, shovels=2, dumps=2)
LEVER = "FROM marts.fct_fuel_savings WHERE lever = 'operator'"


def _frame(uri: str, query: str) -> pd.DataFrame:
    with psycopg.connect(uri) as conn:
        return query_frame(conn, query)


def _build(uri: str, spec: MineSpec, target) -> None:
    load_mine_days(uri, MineData.generate(spec), range(spec.days))
    run_dbt(["build"], uri=uri, target_path=target)  # raises on a failed dbt test


def _champion(uri: str, monkeypatch) -> dict:
    """The champion of the first half of the mine, scoring the second (from the day shifts'
    start: cycles belong to the shift of their load_start)."""
    hour = get_settings().synth.operations.shift_start_hour
    day0 = datetime.combine(SPEC.start, time(hour), tzinfo=UTC)
    split, until = day0 + timedelta(days=SCORED[0]), day0 + timedelta(days=DAYS)
    return train_and_score_champion(uri, monkeypatch, split, until)


def test_operator_estimate_is_within_15_pct_of_truth(
    warehouse_uri, mlflow_store, tmp_path, monkeypatch
):
    _build(warehouse_uri, SPEC, tmp_path / "target")
    truth = lever_truth(Mine(SPEC), days=SCORED)
    true_l, true_ops = truth["litres"]["operator"], truth["operator_by_operator"]
    assert true_l > 0 and true_ops
    assert _frame(warehouse_uri, f"SELECT count(*) AS n {LEVER}")["n"][0] == 0  # no champion yet

    scored = _champion(warehouse_uri, monkeypatch)
    assert scored["scored"] > 0
    rows = _frame(warehouse_uri, f"SELECT * {LEVER}")
    estimate = float(rows["saving_l"].sum())
    print(f"operator lever: estimate {estimate:.0f} L, truth {true_l:.0f} L")
    assert estimate == pytest.approx(true_l, rel=TOLERANCE), (estimate, true_l)

    # the rows name the operators truth names: each on its own truck, above the benchmark
    assert (rows["operator_id"].str.rsplit("-", n=1).str[0] == "OP-" + rows["truck_id"]).all()
    assert (rows["excess_pct"] > 0).all() and (rows["basis_quantity"] > 0).all()
    by_op = rows.groupby("operator_id")["saving_l"].sum()
    assert by_op.index.isin(list(true_ops)).mean() >= 0.75, (by_op.to_dict(), true_ops)
    assert by_op[by_op.index.isin(list(true_ops))].sum() >= 0.9 * estimate
    worst = max(true_ops, key=true_ops.get)
    assert by_op.get(worst, 0.0) == pytest.approx(true_ops[worst], rel=0.3), (worst, by_op)
    price, co2 = get_settings().reports.diesel_price_per_l, get_settings().reports.co2_kg_per_l
    assert rows["saving_cost"].to_numpy() == pytest.approx(rows["saving_l"].to_numpy() * price)
    assert rows["saving_co2_kg"].to_numpy() == pytest.approx(rows["saving_l"].to_numpy() * co2)
    assert rows["basis"].str.contains("benchmark").all()
    run_dbt(["test", "--select", "fct_fuel_savings"], uri=warehouse_uri, target_path=tmp_path / "t")

    # the same mine from a source that carries no operator: every lever but this one stays
    levers_sql = "SELECT lever, count(*) AS n FROM marts.fct_fuel_savings GROUP BY lever"
    before = set(_frame(warehouse_uri, levers_sql)["lever"])
    assert "operator" in before and len(before) > 1, before
    with psycopg.connect(warehouse_uri) as conn:
        conn.execute("UPDATE raw.haul_cycles SET operator_id = NULL")
    run_dbt(
        ["build", "--full-refresh", "--select", "stg_operations__haul_cycles+"],
        uri=warehouse_uri,
        target_path=tmp_path / "target",
    )
    after = set(_frame(warehouse_uri, levers_sql)["lever"])
    assert after == before - {"operator"}, (before, after)
    nulls = _frame(
        warehouse_uri,
        "SELECT count(*) AS n, count(operator_id) AS named FROM features.cycle_features",
    )
    assert nulls["n"][0] > 0 and nulls["named"][0] == 0


def test_a_mine_of_equal_operators_saves_next_to_nothing(
    warehouse_uri, mlflow_store, tmp_path, monkeypatch
):
    monkeypatch.setenv("FUELOPT__SYNTH__PHYSICS__OPERATOR_SD_FRAC", "0")
    get_settings.cache_clear()
    assert lever_truth(Mine(SPEC))["litres"]["operator"] == 0.0
    _build(warehouse_uri, SPEC, tmp_path / "target")
    _champion(warehouse_uri, monkeypatch)
    estimate = float(
        _frame(warehouse_uri, f"SELECT coalesce(sum(saving_l), 0) AS l {LEVER}")["l"][0]
    )
    litres = float(
        _frame(warehouse_uri, "SELECT sum(predicted_fuel_l) AS l FROM ops.cycle_predictions")["l"][
            0
        ]
    )
    print(f"equal operators: estimate {estimate:.0f} L of {litres:.0f} cycle litres")
    assert 0 <= estimate < 0.003 * litres, (estimate, litres)


def test_a_source_without_operator_id_loads_null_with_a_warning(
    warehouse_uri, operations_source, caplog
):
    from fuelopt.sources.extract import load_operations_table
    from tests.support.sources import T0, insert_operations, operations_rows

    data = {"haul_cycles": operations_rows(days=1)["haul_cycles"]}
    end = T0 + timedelta(days=2)
    insert_operations(operations_source, data)
    load_operations_table("haul_cycles", T0, end, since=T0, until=end)
    sql = "SELECT cycle_id, operator_id FROM raw.haul_cycles ORDER BY cycle_id"
    named = _frame(warehouse_uri, sql)
    assert named["operator_id"].tolist() == [r[-1] for r in sorted(data["haul_cycles"])]

    with psycopg.connect(operations_source) as conn:  # the schema before the column
        conn.execute("TRUNCATE dbo.haul_cycles")
        conn.execute("ALTER TABLE dbo.haul_cycles DROP COLUMN operator_id")
    insert_operations(operations_source, data, omit=("operator_id",))
    with caplog.at_level(logging.WARNING, logger="fuelopt.sources.sqlserver"):
        result = load_operations_table("haul_cycles", T0, end, since=T0, until=end)
    assert result["rows_loaded"] == len(data["haul_cycles"])
    assert any("operator_id" in r.getMessage() for r in caplog.records), caplog.text
    unnamed = _frame(warehouse_uri, sql)
    assert unnamed["cycle_id"].tolist() == named["cycle_id"].tolist()
    assert unnamed["operator_id"].isna().all()
