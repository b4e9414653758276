"""The extract DAGs end to end with ``dag.test()`` against a real test warehouse and the
source stand-ins (PostgREST stand-in, PostgreSQL standing in for SQL Server)."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from fuelopt.config import PROJECT_ROOT
from tests.support.sources import T0, insert_operations, insert_telemetry, operations_rows
from tests.support.sources import telemetry_rows as make_telemetry

pytestmark = pytest.mark.integration


def load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id}.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def test_dags_are_declared_as_the_design_says():
    tele, ops = load_dag("extract_telemetry"), load_dag("extract_operations")
    assert tele.max_active_runs == ops.max_active_runs == 1
    assert tele.catchup is False and ops.catchup is False
    assert "runbook" in tele.doc_md.lower() and "runbook" in ops.doc_md.lower()
    assert set(tele.params) == set(ops.params) == {"since", "until"}
    assert [o.name for t in tele.tasks for o in t.outlets] == ["raw.truck_telemetry"]
    assert sorted(o.name for t in ops.tasks for o in t.outlets) == [
        "raw.equipment",
        "raw.fuel_dispatch",
        "raw.haul_cycles",
        "raw.shift_plan",
    ]


def test_extract_telemetry_dag_backfills_a_window(airflow_home, warehouse_uri, standin):
    rows = make_telemetry(minutes=2 * 24 * 60)
    insert_telemetry(standin.db_uri, rows)
    until = T0 + timedelta(days=2)
    conf = {"since": T0.isoformat(), "until": until.isoformat()}
    for _ in range(2):  # the second run replaces the window: still one copy
        run = load_dag("extract_telemetry").test(logical_date=until, run_conf=conf)
        assert run.state == "success"
    with psycopg.connect(warehouse_uri) as conn:
        assert conn.execute("SELECT count(*) FROM raw.truck_telemetry").fetchone()[0] == len(rows)


def test_extract_operations_dag_loads_every_table(airflow_home, warehouse_uri, operations_source):
    data = operations_rows(days=2)
    insert_operations(operations_source, data)
    until = T0 + timedelta(days=2)
    run = load_dag("extract_operations").test(
        logical_date=until, run_conf={"since": T0.isoformat(), "until": until.isoformat()}
    )
    assert run.state == "success"
    with psycopg.connect(warehouse_uri) as conn:
        for table, table_rows in data.items():
            got = conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
            assert got == len(table_rows), table


def test_scheduled_run_extracts_its_data_interval_without_conf(
    airflow_home, warehouse_uri, standin
):
    """As the scheduler runs it: no params, only the data interval; the gap since the last load
    (the watermark) is caught up."""
    rows = make_telemetry(minutes=2 * 24 * 60)
    insert_telemetry(standin.db_uri, rows)
    first_day = {"since": T0.isoformat(), "until": (T0 + timedelta(days=1)).isoformat()}
    run = load_dag("extract_telemetry").test(
        logical_date=T0 + timedelta(days=1), run_conf=first_day
    )
    assert run.state == "success"

    run = load_dag("extract_telemetry").test(logical_date=T0 + timedelta(days=2))

    assert run.state == "success"
    assert run.conf == {} and run.data_interval_end == T0 + timedelta(days=2)
    with psycopg.connect(warehouse_uri) as conn:
        assert conn.execute("SELECT count(*) FROM raw.truck_telemetry").fetchone()[0] == len(rows)


def test_bad_param_fails_at_once_without_retries(airflow_home, warehouse_uri, standin):
    dag = load_dag("extract_telemetry")
    run = dag.test(logical_date=T0 + timedelta(days=1), run_conf={"since": "yesterday"})

    assert run.state == "failed"
    (ti,) = run.get_task_instances()
    assert ti.state == "failed" and ti.try_number == 1


def test_scheduled_operations_run_loads_the_day_without_conf(
    airflow_home, warehouse_uri, operations_source
):
    data = operations_rows(days=2)
    insert_operations(operations_source, data)
    first_day = {"since": T0.isoformat(), "until": (T0 + timedelta(days=1)).isoformat()}
    run = load_dag("extract_operations").test(
        logical_date=T0 + timedelta(days=1), run_conf=first_day
    )
    assert run.state == "success"

    run = load_dag("extract_operations").test(logical_date=T0 + timedelta(days=2))

    assert run.state == "success" and run.conf == {}
    with psycopg.connect(warehouse_uri) as conn:
        for table in ("haul_cycles", "fuel_dispatch"):
            got = conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
            ends = [r[5] if table == "haul_cycles" else r[2] for r in data[table]]
            assert got == sum(end < T0 + timedelta(days=2) for end in ends), table
