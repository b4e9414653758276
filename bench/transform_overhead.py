"""Bench: transform_warehouse run by the Airflow scheduler vs the same work as plain commands.

A fresh warehouse database gets a small synthetic mine (defects on) loaded day by day, as the
nightly extract does, and is kept as a template: before every timed run the warehouse is
re-created from it, so each run does the same work (a full build of every layer behind the raw
gate). The baseline runs that work as plain commands, one process each, in the DAG's order:
the raw gate, `dbt build` of the cleansed layer, its gate, `dbt build` of features, its gate,
`dbt build` of the marts, `dbt docs generate`. Then, for each Cosmos execution mode
(``transform.cosmos_execution_mode``), the local stack (``fuelopt.stack.running_stack``, on its own
metadata database, ports and folders) runs ``transform_warehouse`` through the scheduler, started
with ``airflow dags trigger``; a run is timed from its start to its end in the metadata database
(``dag_s``) and from the trigger to its observed end (wall). Medians of ``--repeats`` runs;
ratio = DAG run / baseline (goal <= 1.3). Every database, folder and process it makes is removed
or stopped at the end. Last line, for the configured mode:
``{"dag_s": …, "baseline_s": …, "ratio": …, "mode": "…"}``.

    python bench/transform_overhead.py [--quick] [--days 10] [--trucks 6] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_args import emit, parse_args

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# --quick: sizes for a CI-sized machine
QUICK = {"days": 3, "trucks": 4}

DAG_ID = "transform_warehouse"
LAYERS = (
    ("raw", ["path:models/staging", "path:models/ops"]),
    ("cleansed", ["path:models/features"]),
    ("features", ["path:models/marts"]),
)
GATE_CODE = (
    "import sys; from fuelopt.transform.tasks import quality_gate; quality_gate(sys.argv[1])"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def own_environment(work: Path, metadata_url: str) -> None:
    """Point this process and every process it starts at the bench's own Airflow home, metadata
    database, ports and folders (before anything imports Airflow)."""
    os.environ.update(
        {
            "AIRFLOW_HOME": str(work / "airflow"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__COSMOS__CACHE_DIR": str(work / "cosmos"),
            "AIRFLOW_CONN_FUELOPT_POSTGREST": f"http://127.0.0.1:{free_port()}",
            "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow' / 'mlflow.db'}",
            "FUELOPT__PATHS__ARTIFACTS_DIR": str(work / "artifacts"),
            "FUELOPT__STACK__STATE_DIR": str(work / "stack"),
            "FUELOPT__STACK__API_PORT": str(free_port()),
            "FUELOPT__ALERTS__RETRY_DELAY_SECONDS": "5",
        }
    )
    (work / "mlflow").mkdir(parents=True, exist_ok=True)


def admin_sql(statement: str) -> None:
    import psycopg

    from fuelopt.warehouse.db import admin_uri

    with psycopg.connect(admin_uri(), autocommit=True) as conn:
        conn.execute(statement)


def reset_warehouse(name: str, template: str, owner: str, work: Path) -> None:
    """The warehouse as the template left it (raw loaded, nothing built), and no docs yet."""
    from psycopg import sql

    from fuelopt.warehouse.bootstrap import drop_database

    drop_database(name)
    admin_sql(
        sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}")
        .format(sql.Identifier(name), sql.Identifier(template), sql.Identifier(owner))
        .as_string()
    )
    shutil.rmtree(work / "artifacts", ignore_errors=True)


def load_template(uri: str, days: int, trucks: int, seed: int) -> None:
    """A warehouse with the mine's raw batches loaded (the last one a day ago), analysed."""
    import psycopg

    from fuelopt.synth import MineSpec
    from fuelopt.warehouse.bootstrap import init_warehouse
    from tests.support.raw_data import MineData, load_mine_days

    init_warehouse(uri)
    mine = MineData.generate(MineSpec(seed=seed, days=days, trucks=trucks, shovels=3, dumps=2))
    load_mine_days(uri, mine, range(days), datetime.now(UTC) - timedelta(days=days))
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("ANALYZE")


def baseline_commands(work: Path) -> list[list[str]]:
    """The DAG's work as plain commands: gates as Python one-liners, dbt through its CLI."""
    from fuelopt.transform.dbt_run import dbt_vars, profiles_dir, project_dir
    from fuelopt.transform.tasks import docs_dir

    dbt = str(Path(sys.executable).with_name("dbt"))
    common = [
        *("--project-dir", str(project_dir()), "--profiles-dir", str(profiles_dir())),
        *("--vars", json.dumps(dbt_vars())),
    ]
    target = ["--target-path", str(work / "dbt_target"), "--log-path", str(work / "dbt_logs")]
    commands = []
    for gate, select in LAYERS:
        commands.append([sys.executable, "-c", GATE_CODE, gate])
        build = [dbt, "build", "--select", *select, "--indirect-selection", "buildable"]
        commands.append([*build, *common, *target])
    commands.append([dbt, "docs", "generate", *common, "--target-path", str(docs_dir())])
    return commands


def run_baseline(commands: list[list[str]], env: dict[str, str]) -> float:
    start = time.perf_counter()
    for argv in commands:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            raise RuntimeError(f"{' '.join(argv[:4])} failed:\n" + "\n".join(tail))
    return time.perf_counter() - start


def wait_parsed(since: datetime, deadline: float) -> None:
    """Until the dag-processor of this stack has parsed the transform DAG (its new mode)."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from fuelopt.pipeline import check_import_errors

    while time.monotonic() < deadline:
        check_import_errors()
        with create_session() as session:
            parsed = session.scalar(
                select(DagModel.last_parsed_time).where(DagModel.dag_id == DAG_ID)
            )
        if parsed is not None and parsed >= since:
            return
        time.sleep(1)
    raise TimeoutError(f"{DAG_ID} not parsed by the dag-processor in time")


def run_dag(run_id: str, mode: str, deadline: float) -> tuple[float, float]:
    """Trigger one run and wait for it: (start -> end from the metadata database, wall)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from fuelopt.pipeline import airflow_cli, failure_lines, runs_since

    queued = datetime.now(UTC)
    start = time.perf_counter()
    airflow_cli("dags", "trigger", DAG_ID, "--run-id", run_id)
    while time.monotonic() < deadline:
        with create_session() as session:
            run = session.scalar(
                select(DagRun).where(DagRun.dag_id == DAG_ID, DagRun.run_id == run_id)
            )
            state = str(getattr(run.state, "value", run.state)) if run else "none"
        if state in ("success", "failed"):
            break
        time.sleep(0.5)
    else:
        raise TimeoutError(f"{run_id} still {state}")
    wall = time.perf_counter() - start
    row = next(r for r in runs_since(queued) if r.run_id == run_id)
    if row.state != "success":
        raise RuntimeError(f"{run_id} {row.state}:\n" + "\n".join(failure_lines([row])))
    with create_session() as session:
        task_ids = set(
            session.scalars(
                select(TaskInstance.task_id).where(
                    TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id
                )
            )
        )
    watcher = any(t.endswith("dbt_producer_watcher") for t in task_ids)
    if watcher != (mode == "watcher"):
        raise RuntimeError(f"{run_id} ran {len(task_ids)} tasks, not the {mode} rendering")
    return float(row.seconds or 0.0), wall


def run_mode(mode: str, repeats: int, reset, timeout: float) -> tuple[list[float], list[float]]:
    """Start the stack with ``mode`` configured, run the DAG ``repeats`` times; stop the stack."""
    from fuelopt import stack
    from fuelopt.config import get_settings
    from fuelopt.pipeline import DAG_IDS, set_paused

    os.environ["FUELOPT__TRANSFORM__COSMOS_EXECUTION_MODE"] = mode
    get_settings.cache_clear()
    deadline = time.monotonic() + timeout
    started = datetime.now(UTC)
    dag_s, wall_s = [], []
    with stack.running_stack():
        wait_parsed(started, deadline)
        set_paused(DAG_IDS, True)
        set_paused((DAG_ID,), False)
        for i in range(repeats):
            reset()
            seconds, wall = run_dag(f"bench_{mode}_{i}_{uuid.uuid4().hex[:6]}", mode, deadline)
            dag_s.append(seconds)
            wall_s.append(wall)
            print(
                f"  {mode} run {i + 1}: {seconds:.1f} s start->end, {wall:.1f} s wall", flush=True
            )
        set_paused((DAG_ID,), True)
    return dag_s, wall_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--trucks", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--modes", default="local,watcher")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per mode")
    args = parse_args(parser, QUICK)
    days, trucks = args.days, args.trucks
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    from fuelopt.config import get_settings
    from fuelopt.transform.dbt_run import profile_env
    from fuelopt.warehouse.bootstrap import drop_database, ensure_database
    from fuelopt.warehouse.db import admin_uri, with_database

    configured = get_settings().transform.cosmos_execution_mode
    loader = get_settings().warehouse.roles.loader
    tag = uuid.uuid4().hex[:8]
    names = {k: f"fuelopt_bench_{k}_{tag}" for k in ("wh", "tmpl", "af")}
    work = Path(tempfile.mkdtemp(prefix="transform_overhead_"))
    server = admin_uri().split("@", 1)[1].split("/", 1)[0]
    uri = {k: with_database(f"postgresql://{loader}@{server}/", n) for k, n in names.items()}
    try:
        for key in ("tmpl", "af"):
            ensure_database(admin_uri(), names[key], loader)
        own_environment(work, uri["af"].replace("postgresql://", "postgresql+psycopg://", 1))
        os.environ[f"AIRFLOW_CONN_{get_settings().connections.warehouse.upper()}"] = uri["wh"]
        get_settings.cache_clear()
        t0 = time.perf_counter()
        load_template(uri["tmpl"], days, trucks, args.seed)
        subprocess.run(["airflow", "db", "migrate"], check=True, capture_output=True, timeout=900)
        print(f"mine {days} days x {trucks} trucks loaded, metadata database migrated in"
              f" {time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip

        def reset() -> None:
            reset_warehouse(names["wh"], names["tmpl"], loader, work)

        commands = baseline_commands(work)
        baseline = []
        for i in range(args.repeats):
            reset()
            baseline.append(run_baseline(commands, {**os.environ, **profile_env(uri["wh"])}))
            print(f"  baseline run {i + 1}: {baseline[-1]:.1f} s", flush=True)
        base_s = statistics.median(baseline)
        figures = {}
        for mode in modes:
            dag_s, wall_s = run_mode(mode, args.repeats, reset, args.timeout)
            figures[mode] = {
                "dag_s": round(statistics.median(dag_s), 2),
                "wall_s": round(statistics.median(wall_s), 2),
                "baseline_s": round(base_s, 2),
                "ratio": round(statistics.median(dag_s) / base_s, 3),
                "wall_ratio": round(statistics.median(wall_s) / base_s, 3),
                "mode": mode,
            }
            print(json.dumps(figures[mode]), flush=True)
        print(
            f"baseline (plain commands) {base_s:.1f} s; "
            + "; ".join(
                f"{m}: {f['dag_s']:.1f} s ({f['ratio']:.2f}x), wall {f['wall_s']:.1f} s"
                for m, f in figures.items()
            )
            + f"; goal <= 1.3x; configured mode {configured}"
        )
        chosen = figures.get(configured) or next(iter(figures.values()))
        keys = ("dag_s", "baseline_s", "ratio", "mode")
        emit({k: chosen[k] for k in keys}, args)
    finally:
        for name in names.values():
            drop_database(name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
