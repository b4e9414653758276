"""The main job: make the synthetic mine, load the local sources, and let Airflow's scheduler run
the pipeline the way production does.

``fuelopt pipeline`` is what README's first command runs; the end-to-end test runs it on a small
mine. It starts the local stack (PostgREST stand-in, api-server, scheduler, dag-processor,
triggerer; LocalExecutor) tied to its own life, then:

1. the first history load: one parameterised run of each extract DAG (``since``/``until``) over
   the mine's whole days, except the last few intervals, as a first install does;
2. backfills through the scheduler (``airflow backfill create``) of the last
   ``pipeline.backfill_telemetry_hours`` hourly telemetry intervals and the last
   ``pipeline.backfill_operations_days`` daily operations intervals;

and nothing else by hand: transform runs on the raw Assets, monitoring and the weekly report on
the marts, training on monitoring's retrain request, the fleet plan on the marts and the champion
model. It waits until the scheduler is quiet (bounded by ``pipeline.wait_timeout_seconds``),
prints every DAG run with its trigger, state and duration and where the results are (the report
files included), and stops every process it started.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fuelopt.config import get_settings
from fuelopt.intervals import to_utc

log = logging.getLogger(__name__)

EXTRACT_DAGS = ("extract_operations", "extract_telemetry")
DAG_IDS = (
    *EXTRACT_DAGS,
    "transform_warehouse",
    "monitor_drift",
    "train_models",
    "optimize_fleet",
    "report_weekly",
)
ACTIVE_STATES = ("queued", "running")
# Runs only when monitoring asks for a retrain (no champion yet, sustained drift) or weekly: a
# re-run of the main job on a store that has a champion rightly leaves it alone.
ON_REQUEST = ("train_models",)


@dataclass(frozen=True)
class RunRow:
    dag_id: str
    run_id: str
    run_type: str
    triggered_by: str
    state: str
    seconds: float | None
    data_end: datetime | None
    queued_at: datetime


def mine_spec():
    """The synthetic mine of the ``pipeline`` config section."""
    from fuelopt.synth.spec import MineSpec

    cfg = get_settings().pipeline
    return MineSpec(
        seed=cfg.seed,
        days=cfg.days,
        trucks=cfg.trucks,
        shovels=cfg.shovels,
        dumps=cfg.dumps,
        start=cfg.start,
    )


def window() -> tuple[datetime, datetime]:
    """The mine's whole days, ``[first day 06:00, day after the last 06:00)`` in UTC."""
    from fuelopt.synth.load import spec_window

    win = spec_window(mine_spec())
    return to_utc(win.lo.to_pydatetime(), "lo"), to_utc(win.hi.to_pydatetime(), "hi")


def prepare_sources(telemetry_uri: str, operations_uri: str) -> dict:
    """Create the local source databases and load the configured synthetic mine into them."""
    from fuelopt.synth.load import init_sources
    from fuelopt.synth.output import write_mine

    init_sources(telemetry_uri, operations_uri)
    return write_mine(
        mine_spec(),
        None,
        "csv",
        load=True,
        telemetry_uri=telemetry_uri,
        operations_uri=operations_uri,
    )


def split_points(lo: datetime, hi: datetime) -> dict[str, tuple[datetime, datetime, datetime]]:
    """Per extract DAG: where the history load ends and the backfill's first and last ticks.

    Telemetry ticks hourly, each run covering the hour before it; operations daily at midnight.
    The backfill covers the last N intervals that reach ``hi`` (the day interval may end after
    it: the mine's last night shift ends at 06:00 of the next day)."""
    cfg = get_settings().pipeline
    hours = timedelta(hours=cfg.backfill_telemetry_hours)
    last_tick_day = datetime.combine(
        (hi - timedelta(microseconds=1)).date() + timedelta(days=1), datetime.min.time(), UTC
    )
    days = timedelta(days=cfg.backfill_operations_days)
    first_hour_tick = hi - hours + timedelta(hours=1)
    first_day_tick = last_tick_day - days + timedelta(days=1)
    return {
        "extract_telemetry": (max(lo, hi - hours), first_hour_tick, hi),
        "extract_operations": (max(lo, last_tick_day - days), first_day_tick, last_tick_day),
    }


def airflow_cli(*args: str, timeout: float = 120) -> str:
    """Run one ``airflow`` command (the same ones a data engineer types); its stdout."""
    proc = subprocess.run(
        ["airflow", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"airflow {' '.join(args[:3])} failed: {' | '.join(tail)}")
    return proc.stdout


def end_leftovers() -> None:
    """A killed earlier main job may have left runs and backfills open: end them, so this run
    starts from a quiet scheduler (their data is replaced by this run's loads anyway)."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.models.backfill import Backfill
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import delete, update

    now = datetime.now(UTC)
    with create_session() as session:
        session.execute(
            update(TaskInstance)
            .where(TaskInstance.dag_id.in_(DAG_IDS))
            .where(TaskInstance.state.in_(("queued", "running", "scheduled", "up_for_retry")))
            .values(state="failed", end_date=now)
        )
        session.execute(
            update(DagRun)
            .where(DagRun.dag_id.in_(DAG_IDS), DagRun.state.in_(ACTIVE_STATES))
            .values(state="failed", end_date=now)
        )
        session.execute(
            update(Backfill)
            .where(Backfill.dag_id.in_(DAG_IDS), Backfill.completed_at.is_(None))
            .values(completed_at=now)
        )
        session.execute(delete(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id.in_(DAG_IDS)))


def check_import_errors() -> None:
    """Fail at once when the dag-processor cannot import a DAG file (nothing would run)."""
    from airflow.models.errors import ParseImportError
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        first = session.scalars(select(ParseImportError).limit(1)).first()
        if first is not None:
            raise RuntimeError(f"DAG import error in {first.filename}: {first.stacktrace}")


def wait_for_dags(deadline: float) -> None:
    """Until the dag-processor has parsed every DAG of the pipeline (no import errors)."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    while time.monotonic() < deadline:
        check_import_errors()
        with create_session() as session:
            found = set(
                session.scalars(
                    select(DagModel.dag_id).where(DagModel.dag_id.in_(DAG_IDS), ~DagModel.is_stale)
                )
            )
        if found == set(DAG_IDS):
            return
        time.sleep(2)
    raise TimeoutError(f"the dag-processor did not parse {sorted(set(DAG_IDS) - found)} in time")


def runs_since(started: datetime) -> list[RunRow]:
    """Every run of the pipeline's DAGs queued since ``started``, oldest first."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(
            select(DagRun)
            .where(DagRun.dag_id.in_(DAG_IDS), DagRun.queued_at >= started)
            .order_by(DagRun.queued_at, DagRun.id)
        ).all()
        return [
            RunRow(
                dag_id=run.dag_id,
                run_id=run.run_id,
                run_type=str(
                    run.run_type.value if hasattr(run.run_type, "value") else run.run_type
                ),
                triggered_by=str(getattr(run.triggered_by, "value", run.triggered_by) or ""),
                state=str(getattr(run.state, "value", run.state)),
                seconds=(run.end_date - run.start_date).total_seconds()
                if run.end_date and run.start_date
                else None,
                data_end=run.data_interval_end,
                queued_at=run.queued_at,
            )
            for run in runs
        ]


def wait_quiet(started: datetime, deadline: float) -> list[RunRow]:
    """Until no run is queued or running and none started for ``pipeline.quiet_seconds``."""
    quiet = get_settings().pipeline.quiet_seconds
    last_change, last_seen = time.monotonic(), None
    while time.monotonic() < deadline:
        check_import_errors()
        runs = runs_since(started)
        seen = [(r.run_id, r.state) for r in runs]
        if seen != last_seen:
            last_change, last_seen = time.monotonic(), seen
        active = [r for r in runs if r.state in ACTIVE_STATES]
        if not active and time.monotonic() - last_change >= quiet:
            return runs
        time.sleep(2)
    active = ", ".join(
        f"{r.dag_id} {r.run_id}" for r in runs_since(started) if r.state in ACTIVE_STATES
    )
    raise TimeoutError(f"runs still active after pipeline.wait_timeout_seconds: {active or 'none'}")


def set_paused(dag_ids: tuple[str, ...], paused: bool) -> None:
    for dag_id in dag_ids:
        airflow_cli("dags", "pause" if paused else "unpause", dag_id)


def history_load(lo: datetime, splits: dict) -> None:
    """The first install's parameterised load of each extract DAG, up to its backfill part."""
    for dag_id in EXTRACT_DAGS:
        until = splits[dag_id][0]
        conf = json.dumps({"since": lo.isoformat(), "until": until.isoformat()})
        airflow_cli("dags", "trigger", dag_id, "--conf", conf)


def backfill(dag_id: str, first_tick: datetime, last_tick: datetime) -> None:
    """A scheduler backfill of the DAG's runs due from ``first_tick`` to ``last_tick`` (re-runs
    of runs that already succeeded included)."""
    airflow_cli(
        "backfill",
        "create",
        "--dag-id",
        dag_id,
        "--from-date",
        first_tick.isoformat(),
        "--to-date",
        last_tick.isoformat(),
        "--reprocess-behavior",
        "completed",
    )


def judged(runs: list[RunRow], hi: datetime) -> list[RunRow]:
    """The runs the main job answers for: all but scheduled runs of wall-clock intervals after
    the mine's window (the synthetic mine has no data or shift plans there)."""
    return [r for r in runs if not (r.run_type == "scheduled" and r.data_end and r.data_end > hi)]


def verdict(runs: list[RunRow], hi: datetime) -> tuple[bool, set[str]]:
    """Whether the chain succeeded: every judged run succeeded and every DAG but those run on
    request has a successful run; and the DAGs without one."""
    answered = judged(runs, hi)
    missing = set(DAG_IDS) - set(ON_REQUEST) - {r.dag_id for r in answered if r.state == "success"}
    return all(r.state == "success" for r in answered) and not missing, missing


def run_table(runs: list[RunRow]) -> list[str]:
    """One line per run: DAG, run type, what triggered it, state, seconds, run id."""
    row = "  {:<20} {:<15} {:<12} {:<8} {:>8}  {}"
    lines = [row.format("DAG", "run type", "trigger", "state", "seconds", "run id")]
    for r in runs:
        secs = f"{r.seconds:.1f}" if r.seconds is not None else "-"
        lines.append(row.format(r.dag_id, r.run_type, r.triggered_by, r.state, secs, r.run_id))
    return lines


def run_pipeline() -> tuple[bool, list[RunRow]]:
    """Load the mine, run the chain on the scheduler; whether every judged run succeeded and
    every DAG but those run on request ran."""
    from fuelopt import stack
    from fuelopt.warehouse.db import conn_uri

    settings = get_settings()
    cfg = settings.pipeline
    telemetry_uri = os.environ.get("FUELOPT_TELEMETRY_DB_URL") or ""
    if not telemetry_uri:
        raise ValueError("FUELOPT_TELEMETRY_DB_URL is not set (source include/scripts/env.sh)")
    stack.down()
    stack.preflight(stack.components())
    end_leftovers()
    summary = prepare_sources(telemetry_uri, conn_uri(settings.connections.operations))
    print(f"synthetic mine loaded into the local sources: {json.dumps(summary)}", flush=True)
    lo, hi = window()
    splits = split_points(lo, hi)
    deadline = time.monotonic() + cfg.wait_timeout_seconds
    started = datetime.now(UTC)
    with stack.running_stack() as pids:
        print(f"stack up: {', '.join(f'{k} (pid {v})' for k, v in pids.items())}", flush=True)
        wait_for_dags(deadline)
        set_paused(DAG_IDS, True)
        set_paused(EXTRACT_DAGS, False)
        history_load(lo, splits)
        print(f"history load from {lo.isoformat()} triggered; waiting for it", flush=True)
        wait_quiet(started, deadline)
        set_paused(DAG_IDS, False)
        # Telemetry first: the day's operations load then completes transform's Asset condition.
        for dag_id in ("extract_telemetry", "extract_operations"):
            backfill(dag_id, *splits[dag_id][1:])
            print(f"{dag_id} backfill created; waiting for the chain", flush=True)
            runs = wait_quiet(started, deadline)
        set_paused(DAG_IDS, True)
    ok, missing = verdict(runs, hi)
    if missing:
        print(f"no successful run of {', '.join(sorted(missing))}", flush=True)
    return ok, runs


def failure_lines(runs: list[RunRow]) -> list[str]:
    """For each failed run: its failed tasks' log files and the exception that ended them."""
    logs = Path(os.environ.get("AIRFLOW_HOME", "")) / "logs"
    lines = []
    for run in (r for r in runs if r.state == "failed"):
        for path in sorted(logs.glob(f"dag_id={run.dag_id}/run_id={run.run_id}/task_id=*/*.log")):
            entries = map(_json_line, path.read_text(errors="replace").splitlines())
            errors = [e for e in entries if e.get("level") in ("error", "critical")]
            if errors:
                ended = [e for e in errors if e.get("error_detail")] or errors
                lines += [f"  {path}", f"    {_error_text(ended[-1])[:500]}"]
    return lines


def _error_text(entry: dict) -> str:
    details = entry.get("error_detail")
    if isinstance(details, list) and details and isinstance(details[-1], dict):
        last = details[-1]
        return f"{last.get('exc_type', '')}: {last.get('exc_value', '')}"
    return str(entry.get("event", "")).strip().splitlines()[0] if entry.get("event") else ""


def _json_line(line: str) -> dict:
    try:
        entry = json.loads(line)
    except ValueError:
        return {}
    return entry if isinstance(entry, dict) else {}


def _files(folder: Path) -> list[str]:
    """One indented line per report file in ``folder``, or a line saying there is none."""
    names = sorted(p.name for p in folder.glob("*") if p.suffix in (".pdf", ".xlsx"))
    return [f"  {name}" for name in names] or ["  (none written)"]


def lever_lines() -> list[str]:
    """The biggest fuel-saving levers of the mine's last days, read as bi_reader."""
    from fuelopt.warehouse.marts import read_only, reader_uri, top_levers

    cfg = get_settings().reports
    with read_only(reader_uri()) as conn:
        levers = top_levers(conn)
    if not levers:
        return ["Fuel-saving levers: none yet (marts.fct_fuel_savings is empty or missing)"]
    first, last = (
        min(r["first_shift_date"] for r in levers),
        max(r["last_shift_date"] for r in levers),
    )
    return [
        f"Biggest fuel-saving levers, {first} to {last} (litres, {cfg.currency}, kg CO2):",
        *(
            f"  {r['lever']:<24} {r['saving_l']:>10,.0f} L {r['saving_cost']:>10,.0f} "
            f"{r['saving_co2_kg']:>10,.0f} kg"
            for r in levers
        ),
    ]


def adherence_lines() -> list[str]:
    """Planned shifts the mine has since worked: did the trucks follow the plan, and did the shift
    burn less per tonne than comparable unplanned ones (read as bi_reader)."""
    from fuelopt.warehouse.marts import plan_adherence, read_only, reader_uri

    with read_only(reader_uri()) as conn:
        shifts = plan_adherence(conn, get_settings().reports.summary_adherence_shifts)
    if not shifts:
        return ["Plan adherence: none yet (no planned shift has haul cycles)"]

    def num(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    return [
        "Plan adherence (planned shifts the mine has worked; litres per tonne):",
        *(
            f"  {r['shift_date']} {r['shift']:<5} {r['trucks']} trucks, "
            f"{num(r['adherence_pct'], '.0f')} % of cycles at the planned shovel; "
            f"planned {num(r['planned_litres_per_t'], '.3f')}, realised "
            f"{num(r['shift_litres_per_t'], '.3f')}, unplanned shifts "
            f"{num(r['unplanned_litres_per_t'], '.3f')} "
            f"({num(r['shift_vs_unplanned_pct'], '+.1f')} %)"
            for r in shifts
        ),
    ]


def where_results_are() -> list[str]:
    """Lines telling the user where every result of the main job is."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect

    settings = get_settings()
    marts = settings.warehouse.schemas.marts
    lines = []
    with connect() as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
            " ORDER BY table_name",
            (marts,),
        ).fetchall()
        for (name,) in tables:
            query = sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(marts), sql.Identifier(name)
            )
            count = conn.execute(query).fetchone()[0]
            lines.append(f"  {marts}.{name:<28} {count:>9} rows")
    uri = os.environ.get(f"AIRFLOW_CONN_{settings.connections.warehouse.upper()}", "")
    safe_uri = uri.split("@")[-1] if "@" in uri else uri
    plans = settings.paths.artifact(settings.optimize.artifacts_subdir)
    shift_reports = settings.paths.artifact(settings.reports.shift_subdir)
    weekly_reports = settings.paths.artifact(settings.reports.weekly_subdir)
    return [
        f"Warehouse marts (database {safe_uri}, BI role {settings.warehouse.roles.bi_reader}):",
        *lines,
        *lever_lines(),
        *adherence_lines(),
        f"MLflow tracking: {os.environ.get('MLFLOW_TRACKING_URI', '(unset)')}",
        f"Fleet plans (plan.md, chart, plan.json per shift): {plans}",
        f"Shift reports (<date>_<shift>.pdf and .xlsx): {shift_reports}",
        *_files(shift_reports),
        f"Weekly reports (<YYYY-Www>.pdf and .xlsx): {weekly_reports}",
        *_files(weekly_reports),
        f"Artifacts (data docs, dbt docs): {settings.paths.resolve('artifacts_dir')}",
        f"Airflow task logs: {Path(os.environ.get('AIRFLOW_HOME', '')) / 'logs'}",
        f"Stack process logs: {settings.stack.folder()}",
    ]


def _run(args: argparse.Namespace) -> int:
    ok, runs = run_pipeline()
    print("\nDAG runs (oldest first):")
    print("\n".join(run_table(runs)))
    if not ok:
        print("\nthe chain did not succeed; failed tasks' logs and last errors:")
        print("\n".join(failure_lines(runs)))
        return 1
    print("\n" + "\n".join(where_results_are()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "pipeline",
        help="run the whole pipeline on the local stack through the scheduler (the main job)",
        description=(
            "Load the synthetic mine of the `pipeline` config section into the local sources,"
            " start the local stack, load its history with one parameterised run of each"
            " extract DAG, backfill the last intervals through the scheduler, and let Assets"
            " and schedules run the rest. Stops every process it started."
        ),
    )
    parser.set_defaults(handler=_run)
