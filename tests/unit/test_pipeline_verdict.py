"""How the main job judges the runs the scheduler made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fuelopt.pipeline import DAG_IDS, RunRow, verdict

HI = datetime(2026, 3, 2, 6, tzinfo=UTC)


def _run(dag_id: str, state: str = "success", run_type: str = "asset_triggered", end=HI):
    return RunRow(dag_id, f"{dag_id}_{state}", run_type, "asset", state, 1.0, end, HI)


def test_every_dag_succeeding_is_success():
    assert verdict([_run(d) for d in DAG_IDS], HI) == (True, set())


def test_a_failed_run_of_the_window_fails_the_chain():
    runs = [_run(d) for d in DAG_IDS] + [_run("monitor_drift", "failed")]
    assert verdict(runs, HI)[0] is False


def test_training_that_nobody_asked_for_is_not_missing():
    assert verdict([_run(d) for d in DAG_IDS if d != "train_models"], HI) == (True, set())


def test_a_dag_that_never_ran_fails_the_chain():
    ok, missing = verdict([_run(d) for d in DAG_IDS if d != "optimize_fleet"], HI)
    assert not ok and missing == {"optimize_fleet"}


def test_scheduled_runs_after_the_window_are_not_judged():
    late = _run("extract_telemetry", "failed", "scheduled", HI + timedelta(days=200))
    assert verdict([_run(d) for d in DAG_IDS] + [late], HI) == (True, set())
