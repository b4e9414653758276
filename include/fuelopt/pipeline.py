"""The main job: make the synthetic mine, load the local sources, run every DAG in order.

``fuelopt pipeline`` is what README's first command runs; the end-to-end test runs the same
function against its own databases. Each DAG runs with ``airflow dags test`` in a fresh
interpreter, in the dependency order of DAG_ORDER, over the synthetic mine's whole window.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlsplit

from fuelopt.config import PROJECT_ROOT, get_settings

log = logging.getLogger(__name__)

DAG_ORDER = (
    "extract_operations",
    "extract_telemetry",
    "transform_warehouse",
    "train_models",
    "optimize_fleet",
    "monitor_drift",
)


@dataclass(frozen=True)
class DagResult:
    dag_id: str
    ok: bool
    seconds: float
    log_path: Path


def present_dags(dags_folder: Path) -> list[str]:
    """DAG ids of DAG_ORDER whose file (``dags/<dag_id>.py``) exists, in order."""
    return [d for d in DAG_ORDER if (dags_folder / f"{d}.py").exists()]


def run_dag(dag_id: str, logical_date: datetime, conf: dict, log_dir: Path) -> DagResult:
    """``airflow dags test`` one DAG in a fresh interpreter; ok when the run succeeded."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{dag_id}.log"
    cmd = ["airflow", "dags", "test", dag_id, logical_date.isoformat(), "--conf", json.dumps(conf)]
    start = time.perf_counter()
    with log_path.open("w") as out:
        proc = subprocess.run(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=get_settings().pipeline.dag_timeout_seconds,
        )
    return DagResult(dag_id, proc.returncode == 0, time.perf_counter() - start, log_path)


@contextlib.contextmanager
def postgrest_standin(telemetry_uri: str) -> Iterator[str]:
    """Serve the telemetry database on the PostgREST connection's port while the DAGs run."""
    from airflow.sdk import Connection

    from fuelopt.sources.postgrest_standin import start

    settings = get_settings()
    conn = Connection.get(settings.connections.telemetry_api)
    port = conn.port or urlsplit(conn.get_uri()).port or 80
    server, thread = start(
        telemetry_uri,
        db_schema=settings.sources.standin.db_schema,
        bind_address=settings.sources.standin.bind_address,
        port=port,
        token=conn.password or None,
    )
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def prepare_sources(telemetry_uri: str, operations_uri: str) -> dict:
    """Create the local source databases and load the configured synthetic mine into them."""
    from fuelopt.synth.load import init_sources
    from fuelopt.synth.output import write_mine
    from fuelopt.synth.spec import MineSpec

    cfg = get_settings().pipeline
    init_sources(telemetry_uri, operations_uri)
    spec = MineSpec(
        seed=cfg.seed,
        days=cfg.days,
        trucks=cfg.trucks,
        shovels=cfg.shovels,
        dumps=cfg.dumps,
        start=cfg.start,
    )
    return write_mine(
        spec, None, "csv", load=True, telemetry_uri=telemetry_uri, operations_uri=operations_uri
    )


def dag_conf(dag_id: str, since: datetime, until: datetime) -> dict:
    """The trigger conf of each DAG in the main job: extracts read the mine's whole window; the
    optimiser plans the window's last day shift (the mine's shift plans end with the window)."""
    if dag_id in {"extract_operations", "extract_telemetry"}:
        return {"since": since.isoformat(), "until": until.isoformat()}
    if dag_id == "optimize_fleet":
        return {"shift_date": (until - timedelta(days=1)).date().isoformat(), "shift": "day"}
    return {}


def window() -> tuple[datetime, datetime]:
    """The synthetic mine's time window, [start, end)."""
    cfg = get_settings().pipeline
    start = datetime.combine(cfg.start, dtime(0), tzinfo=UTC)
    return start, start + timedelta(days=cfg.days)


def run_pipeline(log_dir: Path, dags_folder: Path) -> list[DagResult]:
    """Prepare the sources, then run each present DAG in order; stops at the first failure."""
    from fuelopt.warehouse.db import conn_uri

    settings = get_settings()
    telemetry_uri = os.environ.get("FUELOPT_TELEMETRY_DB_URL") or ""
    if not telemetry_uri:
        raise ValueError("FUELOPT_TELEMETRY_DB_URL is not set (source include/scripts/env.sh)")
    summary = prepare_sources(telemetry_uri, conn_uri(settings.connections.operations))
    log.info("synthetic mine loaded: %s", summary)
    since, until = window()
    results: list[DagResult] = []
    with postgrest_standin(telemetry_uri):
        for dag_id in present_dags(dags_folder):
            result = run_dag(dag_id, until, dag_conf(dag_id, since, until), log_dir)
            results.append(result)
            mark = "ok  " if result.ok else "FAIL"
            print(f"{mark} {dag_id:<22} {result.seconds:6.1f}s  {result.log_path}", flush=True)
            if not result.ok:
                break
    return results


def where_results_are() -> list[str]:
    """Lines telling the user where every result of the main job is."""
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
            count = conn.execute(f'SELECT count(*) FROM "{marts}"."{name}"').fetchone()[0]
            lines.append(f"  {marts}.{name:<28} {count:>9} rows")
    uri = os.environ.get(f"AIRFLOW_CONN_{settings.connections.warehouse.upper()}", "")
    safe_uri = uri.split("@")[-1] if "@" in uri else uri
    return [
        f"Warehouse marts (database {safe_uri}, BI role {settings.warehouse.roles.bi_reader}):",
        *lines,
        f"MLflow tracking: {os.environ.get('MLFLOW_TRACKING_URI', '(unset)')}",
        f"Artifacts (fleet plans, data docs, dbt docs): {settings.paths.resolve('artifacts_dir')}",
    ]


def _run(args: argparse.Namespace) -> int:
    dags_folder = Path(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER", PROJECT_ROOT / "dags"))
    log_dir = Path(args.log_dir)
    results = run_pipeline(log_dir, dags_folder)
    if not all(r.ok for r in results):
        failed = next(r for r in results if not r.ok)
        print(f"\n{failed.dag_id} failed: read {failed.log_path}")
        return 1
    print(f"\n{len(results)} DAGs ran in order; logs in {log_dir}")
    print("\n".join(where_results_are()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "pipeline",
        help="run the whole pipeline on the local stack (the main job)",
        description=(
            "Load the synthetic mine of the `pipeline` config section into the local sources, "
            "serve telemetry with the PostgREST stand-in and run every DAG in order with "
            "`airflow dags test`."
        ),
    )
    parser.add_argument("--log-dir", default=str(PROJECT_ROOT / ".local" / "runs"))
    parser.set_defaults(handler=_run)
