"""DAG integrity: every DAG in dags/ imports cleanly and carries what on-call needs."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.dags.integrity import dag_problems, load_dagbag

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
RUNBOOKS = ROOT / "docs" / "runbooks"
EXPECTED = {
    "extract_telemetry",
    "extract_operations",
    "transform_warehouse",
    "train_models",
    "optimize_fleet",
    "monitor_drift",
    "report_weekly",
}


@pytest.fixture(scope="module")
def dagbag(airflow_home):
    return load_dagbag(DAGS)


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_every_dag_file_defines_the_dag_named_after_it(dagbag):
    files = {p.stem for p in DAGS.glob("*.py") if not p.name.startswith("_")}
    assert files <= set(dagbag.dag_ids)
    assert set(dagbag.dag_ids) <= EXPECTED


def test_dags_follow_the_rules(dagbag):
    assert dag_problems(dagbag, RUNBOOKS) == []


def test_monitor_runs_every_six_hours_and_on_new_marts(dagbag):
    timetable = dagbag.dags["monitor_drift"].timetable
    assert timetable.timetable.expression == "0 */6 * * *"
    assert timetable.asset_condition.name == "marts.all"


def test_optimize_fleet_reports_each_published_shift(dagbag):
    dag = dagbag.dags["optimize_fleet"]
    report = dag.get_task("shift_report")
    assert report.upstream_task_ids == {"publish"} and not report.downstream_task_ids


def test_weekly_report_runs_weekly_and_on_new_marts(dagbag):
    from fuelopt.config import get_settings

    dag = dagbag.dags["report_weekly"]
    assert dag.timetable.timetable.expression == get_settings().schedules.report_weekly
    assert dag.timetable.asset_condition.name == "marts.all"
    assert set(dag.params) == {"week"} and dag.params["week"] is None
    assert [t.task_id for t in dag.tasks] == ["weekly_report"]


def test_extracts_tick_on_interval_cron_without_start_date(dagbag):
    """Each run covers the period before its tick; no start_date, so un-pausing a DAG does not
    run a stale interval."""
    for dag_id, period in (("extract_telemetry", 3600), ("extract_operations", 86400)):
        dag = dagbag.dags[dag_id]
        assert dag.timetable.interval.total_seconds() == period, dag_id
        assert dag.start_date is None, dag_id


GOOD = """
from airflow.sdk import dag, task
from fuelopt.dag_defaults import dag_doc, default_args

@dag(schedule=None, catchup=False, max_active_runs=1, tags=["fuelopt"],
     doc_md=dag_doc("throwaway", "A test DAG."), default_args=default_args())
def throwaway():
    @task
    def hello():
        return 1
    hello()

throwaway()
"""


def _folder(tmp_path: Path, source: str, runbook: bool = True) -> tuple[Path, Path]:
    dags, books = tmp_path / "dags", tmp_path / "runbooks"
    dags.mkdir()
    books.mkdir()
    (dags / "throwaway.py").write_text(textwrap.dedent(source))
    if runbook:
        (books / "throwaway.md").write_text("# throwaway\n")
    return dags, books


def test_rules_pass_a_good_dag(tmp_path, airflow_home):
    dags, books = _folder(tmp_path, GOOD)
    assert dag_problems(load_dagbag(dags), books) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.replace("def hello():", "def hello(:"), "import error in throwaway.py"),
        (lambda s: s + "\nraise RuntimeError('boom')\n", "import error in throwaway.py"),
        (
            lambda s: s.replace("default_args=default_args()", "default_args={'retries': 3}"),
            "throwaway.hello: no owner",
        ),
        (
            lambda s: s.replace("default_args()", "default_args(retries=0)"),
            "throwaway.hello: retries 0 < 2",
        ),
        (
            lambda s: s.replace("default_args()", "default_args(on_failure_callback=None)"),
            "throwaway.hello: no on_failure_callback",
        ),
        (lambda s: s.replace('tags=["fuelopt"]', 'tags=["adhoc"]'), "tags not approved"),
        (lambda s: s.replace('tags=["fuelopt"]', "tags=[]"), "throwaway: no tags"),
        (lambda s: s.replace("catchup=False, ", ""), "@dag without catchup="),
        (lambda s: s.replace("schedule=None, ", ""), "@dag without schedule="),
        (lambda s: s.replace("max_active_runs=1, ", ""), "@dag without max_active_runs="),
    ],
)
def test_rules_catch_a_broken_dag(tmp_path, airflow_home, change, expected):
    dags, books = _folder(tmp_path, change(GOOD))
    problems = dag_problems(load_dagbag(dags), books)
    assert any(expected in p for p in problems), problems


def test_rules_catch_a_missing_runbook(tmp_path, airflow_home):
    dags, books = _folder(tmp_path, GOOD, runbook=False)
    assert dag_problems(load_dagbag(dags), books) == ["throwaway: no runbook runbooks/throwaway.md"]


@pytest.mark.parametrize("after_tick", [timedelta(minutes=1), timedelta(minutes=150)])
def test_a_dag_switched_on_waits_for_its_next_tick(dagbag, monkeypatch, after_tick):
    """No cron DAG runs the tick just past when it is first scheduled (Airflow's default does
    within a tenth of the period: 16.8 h for a weekly cron, so on a fresh install training and
    reports ran before the first transform). Checked 1 and 150 minutes after a tick."""
    import airflow.timetables.trigger as trigger
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction
    from croniter import croniter

    restriction = TimeRestriction(earliest=None, latest=None, catchup=False)
    for dag_id, dag in dagbag.dags.items():
        schedule = getattr(dag.timetable, "timetable", dag.timetable)  # the cron of cron-or-assets
        if not hasattr(schedule, "expression"):  # on Assets alone
            continue
        cron = coerce_to_core_timetable(schedule)
        tick = croniter(schedule.expression, datetime(2026, 3, 1, tzinfo=UTC)).get_next(datetime)
        now = tick + after_tick
        monkeypatch.setattr(trigger, "utcnow", lambda now=now: now)
        info = cron.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
        assert info.run_after > now, (dag_id, tick, info.run_after)
