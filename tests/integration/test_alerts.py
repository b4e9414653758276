"""A failing task alerts on-call: a row in ops.alert_log naming the task, error and runbook."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from fuelopt.alerts.on_call import failure_message, runbook_link
from tests.dags.integrity import load_dagbag

PROBE_DAG = """
from airflow.sdk import dag, task
from fuelopt.dag_defaults import dag_doc, default_args


@dag(schedule=None, catchup=False, max_active_runs=1, tags=["fuelopt"],
     doc_md=dag_doc("alert_probe", "Fails on purpose."), default_args=default_args(retries=0))
def alert_probe():
    @task
    def explode():
        raise ValueError("payload column missing in batch 42")

    explode()


alert_probe()
"""


def _failing_dag(folder: Path, monkeypatch):
    """Airflow 3.3's dag.test() runs DAGs of a configured bundle: give the probe its own folder."""
    folder.mkdir()
    (folder / "alert_probe.py").write_text(PROBE_DAG)
    bundle = {
        "name": "alert-probe",
        "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
        "kwargs": {"path": str(folder)},
    }
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps([bundle]))
    return load_dagbag(folder).dags["alert_probe"]


def test_task_failure_is_logged_with_runbook(warehouse_uri, airflow_home, tmp_path, monkeypatch):
    run = _failing_dag(tmp_path / "dags", monkeypatch).test()
    assert run.state == "failed"
    with psycopg.connect(warehouse_uri) as conn:
        rows = conn.execute(
            "SELECT kind, dag_id, task_id, try_number, message, runbook FROM ops.alert_log"
        ).fetchall()
    assert len(rows) == 1
    kind, dag_id, task_id, try_number, message, runbook = rows[0]
    assert (kind, dag_id, task_id, try_number) == ("task_failure", "alert_probe", "explode", 1)
    assert message == "ValueError: payload column missing in batch 42"
    assert runbook == runbook_link("alert_probe")
    assert runbook.startswith("http") and runbook.endswith("/fuelopt/runbooks/alert_probe")


def test_failure_message_has_what_on_call_needs():
    class TI:
        dag_id, task_id, run_id, try_number = "d", "t", "manual__1", 3
        log_url = "http://airflow.local/log"

    subject, body = failure_message({"ti": TI(), "exception": KeyError("fuel_l")})
    assert subject == "[fuelopt] d.t failed (try 3)"
    needles = ("manual__1", "KeyError: 'fuel_l'", "http://airflow.local/log", "/fuelopt/runbooks/d")
    for needle in needles:
        assert needle in body
