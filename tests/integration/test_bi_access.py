"""bi_reader, logged in as itself, reads every mart and nothing in raw, cleansed, features, ops."""

from __future__ import annotations

import psycopg
import pytest
import yaml

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec
from fuelopt.transform.dbt_run import project_dir, run_dbt
from tests.support.marts import as_role
from tests.support.raw_data import MineData, load_mine_days

MARTS = [
    "dim_equipment",
    "fct_haul_cycles",
    "fct_fuel_daily",
    "fct_fleet_plan",
    "fct_fuel_forecast",
    "fct_model_performance",
    "fct_drift_checks",
    "fct_model_shadow",
    "fct_truck_shift_fuel",
    "fct_fuel_savings",
    "fct_plan_adherence",
]
FORBIDDEN = [
    "raw.haul_cycles",
    "raw.truck_telemetry",
    "cleansed.stg_operations__haul_cycles",
    "features.cycle_features",
    "features.truck_shift_telemetry",
    "ops.rejects",
    "ops.predictions",
    "ops.dq_results",
    "ops.shadow_scores",
]


def test_bi_reader_reads_every_mart_and_nothing_else(warehouse_uri, tmp_path):
    mine = MineData.generate(MineSpec(seed=3, days=2, trucks=3, shovels=2, dumps=1))
    load_mine_days(warehouse_uri, mine, range(2))
    run_dbt(["build"], uri=warehouse_uri, target_path=tmp_path / "target")

    reader = as_role(warehouse_uri, get_settings().warehouse.roles.bi_reader)
    with psycopg.connect(reader, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "bi_reader"
        for mart in MARTS:
            conn.execute(f"SELECT * FROM marts.{mart} LIMIT 1").fetchall()
        for mart in ("fct_haul_cycles", "fct_truck_shift_fuel", "fct_fuel_savings"):
            assert conn.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0] > 0, mart
        for relation in FORBIDDEN:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {relation} LIMIT 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE marts.bi_scratch (x int)")
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'marts'"
        ).fetchall()
    actual: dict[str, set[str]] = {}
    for table, column in columns:
        actual.setdefault(table, set()).add(column)
    documented = {
        m["name"]: {c["name"] for c in m["columns"]}
        for m in yaml.safe_load((project_dir() / "models" / "marts" / "_marts.yml").read_text())[
            "models"
        ]
    }
    assert set(MARTS) <= set(actual)
    for mart in MARTS:  # every column BI sees is documented in schema.yml, and nothing more
        assert actual[mart] == documented[mart], mart
