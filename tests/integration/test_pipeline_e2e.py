"""The main job end to end, as production runs it: ``fuelopt pipeline`` on a small mine starts the
scheduler stack and lets schedules, backfills and Assets drive every DAG. Killed half-way, it
leaves no process behind; run again, it ends green with the data exactly once."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import date, timedelta

import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.reports.data import week_of
from tests.support.stack import ROOT, group_members, stack_pids

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The smallest mine the chain trains on: the demand model needs ml.demand.min_history_days (21).
DAYS, TRUCKS, START = 24, 3, date(2026, 1, 1)
CHAINED = (
    "transform_warehouse",
    "monitor_drift",
    "train_models",
    "optimize_fleet",
    "report_weekly",
)


@pytest.fixture
def mine_env(stack_env):
    return {
        **stack_env,
        "FUELOPT__PIPELINE__DAYS": str(DAYS),
        "FUELOPT__PIPELINE__TRUCKS": str(TRUCKS),
        "FUELOPT__PIPELINE__START": START.isoformat(),
        "FUELOPT__ML__CYCLE__NUM_BOOST_ROUND": "60",
        "FUELOPT__ML__DEMAND__NUM_BOOST_ROUND": "30",
    }


def _kill_when_loading(env: dict[str, str], log_path) -> set[int]:
    """Start the main job, SIGKILL it once the scheduler is loading history; the stack's pids."""
    state_dir = ROOT / env["FUELOPT__STACK__STATE_DIR"]
    with open(log_path, "wb") as log:
        job = subprocess.Popen(
            ["fuelopt", "pipeline"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        deadline = time.monotonic() + 600
        while b"history load" not in log_path.read_bytes():
            assert job.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "the main job did not start the history load"
            time.sleep(1)
        pids = stack_pids(state_dir)
        time.sleep(10)  # runs are queued and running now
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
    return pids


# Beyond the suite's 900 s: on a busy shared machine the killed run plus the whole chain can take
# longer; the main job's own subprocess deadline below still bounds it.
@pytest.mark.timeout(2700)
def test_main_job_runs_the_chain_on_the_scheduler(mine_env, tmp_path):
    pids = _kill_when_loading(mine_env, tmp_path / "killed.log")
    assert {"api-server", "scheduler", "dag-processor", "triggerer"} <= {
        p.stem for p in (ROOT / mine_env["FUELOPT__STACK__STATE_DIR"]).glob("*.pid")
    }
    deadline = time.monotonic() + 90
    while group_members(pids) and time.monotonic() < deadline:
        time.sleep(1)
    assert not group_members(pids), "processes of the killed main job outlived it"

    done = subprocess.run(
        ["fuelopt", "pipeline"],
        env=mine_env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=2400,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert "Warehouse marts" in done.stdout
    assert not group_members(stack_pids(ROOT / mine_env["FUELOPT__STACK__STATE_DIR"]) | pids)

    metadata = mine_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg", "")
    with psycopg.connect(metadata) as conn:
        runs = conn.execute(
            "SELECT dag_id, run_type, state, count(*) FROM dag_run"
            " WHERE queued_at >= (SELECT max(queued_at) FROM dag_run"
            "   WHERE dag_id = 'extract_operations' AND run_type = 'manual')"
            " GROUP BY 1, 2, 3"
        ).fetchall()
    by_kind = {(d, t): n for d, t, s, n in runs if s == "success"}
    for dag_id in ("extract_telemetry", "extract_operations"):
        assert by_kind.get((dag_id, "manual")) == 1, runs
        assert by_kind.get((dag_id, "backfill"), 0) >= 1, runs
    for dag_id in CHAINED:
        assert by_kind.get((dag_id, "asset_triggered"), 0) >= 1, (dag_id, runs)
    # Scheduled runs of wall-clock intervals after the mine's window are not the chain's.
    assert not [r for r in runs if r[2] == "failed" and r[1] != "scheduled"], runs

    warehouse = mine_env["AIRFLOW_CONN_FUELOPT_WAREHOUSE"]
    with (
        psycopg.connect(warehouse) as wh,
        psycopg.connect(mine_env["FUELOPT_TELEMETRY_DB_URL"]) as tel,
    ):
        source_rows = tel.execute("SELECT count(*) FROM api.truck_telemetry").fetchone()[0]
        raw_rows = wh.execute("SELECT count(*) FROM raw.truck_telemetry").fetchone()[0]
        # every hour of the window (its last six included), loaded once across both runs
        assert raw_rows == source_rows
        cycles, cycle_keys = wh.execute(
            "SELECT count(*), count(DISTINCT cycle_id) FROM marts.fct_haul_cycles"
        ).fetchone()
        assert cycles == cycle_keys > 0
        planned = wh.execute(
            "SELECT DISTINCT shift FROM marts.fct_fleet_plan WHERE shift_date = %s",
            (START + timedelta(days=DAYS),),
        ).fetchall()
        assert {s for (s,) in planned} == {"day", "night"}
        assert wh.execute("SELECT count(*) FROM marts.fct_drift_checks").fetchone()[0] > 0
        assert wh.execute("SELECT count(*) FROM marts.fct_fuel_forecast").fetchone()[0] > 0
        for mart in ("fct_truck_shift_fuel", "fct_fuel_savings"):
            assert wh.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0] > 0, mart

    # The reports: each planned shift's (optimize_fleet), the mine's last week (report_weekly).
    cfg = get_settings().reports
    artifacts = tmp_path / "artifacts"
    planned_day = (START + timedelta(days=DAYS)).isoformat()
    expected = [artifacts / cfg.shift_subdir / f"{planned_day}_{s}" for s in ("day", "night")]
    expected.append(artifacts / cfg.weekly_subdir / week_of(START + timedelta(days=DAYS - 1)))
    for stem in expected:
        for fmt in ("pdf", "xlsx"):
            assert stem.with_suffix(f".{fmt}").stat().st_size > 0, stem
    assert "Weekly reports" in done.stdout and f"{planned_day}_day.pdf" in done.stdout
    assert "Biggest fuel-saving levers" in done.stdout and " kg" in done.stdout
    assert "Plan adherence" in done.stdout
