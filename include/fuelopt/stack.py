"""The local stack a UI user and the main job need: the PostgREST stand-in and the Airflow
components (api-server, scheduler, dag-processor, triggerer), optionally the MLflow UI.

``fuelopt stack up|down|status|init-db``. Each component runs in its own process group with a
pid file and a log in ``stack.state_dir``; ``down`` stops each group (TERM, then KILL after
``stack.stop_timeout_seconds``). The main job starts the same components tied to its own life
(they die with it) and stops them when it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from fuelopt.config import StackSettings, get_settings
from fuelopt.errors import BadInput

AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
_PR_SET_PDEATHSIG = 1
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"  # Airflow's simple auth manager


@dataclass(frozen=True)
class Component:
    name: str
    argv: list[str]
    port: int | None = None


class StackError(RuntimeError):
    """A component did not start, or a port it needs is taken (the message says which)."""


def _settings() -> StackSettings:
    return get_settings().stack


def standin_port() -> int:
    """The port of the PostgREST connection, where the stand-in serves."""
    from airflow.sdk import Connection

    conn = Connection.get(get_settings().connections.telemetry_api)
    return conn.port or urlsplit(conn.get_uri()).port or 80


def airflow_env(cfg: StackSettings | None = None) -> dict[str, str]:
    """Environment of the Airflow components: LocalExecutor sized by ``stack.parallelism``, the
    api-server's address, and a JWT secret shared by every component (kept in the state dir)."""
    cfg = cfg or _settings()
    folder = cfg.folder()
    folder.mkdir(parents=True, exist_ok=True)
    secret_file = folder / "jwt_secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
        secret_file.chmod(0o600)
    base = f"http://{cfg.api_host}:{cfg.api_port}"
    env = {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(cfg.parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(cfg.parallelism),
        "AIRFLOW__API__HOST": cfg.api_host,
        "AIRFLOW__API__PORT": str(cfg.api_port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secret_file.read_text().strip(),
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    return {k: os.environ.get(k, v) for k, v in env.items()}


def components(with_mlflow: bool = False) -> list[Component]:
    cfg = _settings()
    airflow = str(Path(sys.executable).with_name("airflow"))
    telemetry_uri = os.environ.get("FUELOPT_TELEMETRY_DB_URL", "")
    if not telemetry_uri:
        raise BadInput("FUELOPT_TELEMETRY_DB_URL is not set (source include/scripts/env.sh)")
    port = standin_port()
    found = [
        Component(
            "postgrest-standin",
            [
                sys.executable,
                *("-m", "fuelopt.sources.postgrest_standin"),
                *("--db-url", telemetry_uri, "--port", str(port)),
            ],
            port,
        ),
        Component(
            "api-server",
            [airflow, "api-server", "--host", cfg.api_host, "--port", str(cfg.api_port)],
            cfg.api_port,
        ),
        *(Component(name, [airflow, name]) for name in AIRFLOW_COMPONENTS[1:]),
    ]
    if with_mlflow:
        tracking = os.environ.get("MLFLOW_TRACKING_URI", "")
        found.append(
            Component(
                "mlflow-ui",
                [
                    str(Path(sys.executable).with_name("mlflow")),
                    *("ui", "--backend-store-uri", tracking),
                    *("--host", cfg.api_host, "--port", str(cfg.mlflow_port)),
                ],
                cfg.mlflow_port,
            )
        )
    return found


def _pid_file(name: str) -> Path:
    return _settings().folder() / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def running() -> dict[str, int]:
    """Components whose pid file names a live process."""
    alive = {}
    for pid_file in sorted(_settings().folder().glob("*.pid")):
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text().strip())
            if _alive(pid):
                alive[pid_file.stem] = pid
    return alive


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def preflight(wanted: list[Component]) -> None:
    """Fail before starting anything when a port is taken by something this stack did not start."""
    cfg = _settings()
    taken = [c for c in wanted if c.port and not port_free(cfg.api_host, c.port)]
    if taken:
        names = ", ".join(f"{c.name} port {c.port}" for c in taken)
        raise StackError(
            f"in use by another process: {names}. Stop it (`fuelopt stack down` if it is this"
            " project's stack) or set another port (stack.api_port, the PostgREST connection)."
        )


def _tie_to_parent() -> None:
    """In the child: own process group, and SIGTERM when the parent dies (even by SIGKILL)."""
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Guard:
    """A watchdog process that stops the stack's process groups once this process is gone,
    however it ends (SIGKILL included): it waits for the end of a pipe only we hold."""

    def __init__(self) -> None:
        timeout = _settings().stop_timeout_seconds
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "fuelopt.stack", "--guard", str(timeout)],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )

    def watch(self, pgid: int) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(f"{pgid}\n".encode())
        self._proc.stdin.flush()

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=2 * _settings().stop_timeout_seconds + 10)


def _guard(timeout: float) -> None:
    """The guard's side: collect process groups until the pipe closes, then stop them all."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_groups([int(line) for line in sys.stdin if line.strip()], timeout)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group lives (our own exited children are reaped first)."""
    with contextlib.suppress(ChildProcessError, OSError):
        while os.waitpid(-pgid, os.WNOHANG)[0]:
            pass
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(component: Component, *, tied: bool, env: dict[str, str]) -> int:
    """Start one component in its own process group; its pid (also in its pid file)."""
    folder = _settings().folder()
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / f"{component.name}.log").open("ab")
    proc = subprocess.Popen(
        component.argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
        preexec_fn=_tie_to_parent if tied else os.setsid,
    )
    log.close()
    _pid_file(component.name).write_text(str(proc.pid))
    return proc.pid


def _wait_ready(component: Component, pid: int, deadline: float) -> None:
    cfg = _settings()
    while time.monotonic() < deadline:
        if not _alive(pid):
            log = _settings().folder() / f"{component.name}.log"
            raise StackError(f"{component.name} exited at start: read {log}")
        if component.port is None:
            return
        with contextlib.suppress(httpx.HTTPError):
            url = f"http://{cfg.api_host}:{component.port}/"
            if component.name == "api-server":
                url += "api/v2/monitor/health"
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.5)
    raise StackError(f"{component.name} not ready after {cfg.start_timeout_seconds:g} s")


def up(
    *, tied: bool = False, with_mlflow: bool = False, guard: Guard | None = None
) -> dict[str, int]:
    """Start every component not already running; wait until each answers. Their pids. With a
    guard, each component's process group is handed to it as soon as it starts."""
    from fuelopt.ml.registry import setup_experiment

    cfg = _settings()
    wanted = [c for c in components(with_mlflow) if c.name not in running()]
    preflight(wanted)
    setup_experiment()  # the tracking store exists before parallel tasks race to create it
    env = airflow_env(cfg)
    deadline = time.monotonic() + cfg.start_timeout_seconds
    started = {}
    for component in wanted:
        started[component.name] = start(component, tied=tied, env=env)
        if guard:
            guard.watch(started[component.name])
    try:
        for component in wanted:
            _wait_ready(component, started[component.name], deadline)
    except StackError:
        down()
        raise
    return started


def stop_groups(pgids: list[int], timeout: float) -> None:
    """SIGTERM every process of each group, SIGKILL what is left after ``timeout`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pgid in pgids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
        end = time.monotonic() + timeout
        while time.monotonic() < end and any(_group_alive(g) for g in pgids):
            time.sleep(0.2)
        if not any(_group_alive(g) for g in pgids):
            return


def down() -> list[str]:
    """Stop every component with a pid file (its whole process group); their names."""
    cfg = _settings()
    alive = running()
    stop_groups(list(alive.values()), cfg.stop_timeout_seconds)
    for pid_file in cfg.folder().glob("*.pid"):
        pid_file.unlink(missing_ok=True)
    return sorted(alive)


@contextlib.contextmanager
def running_stack(*, with_mlflow: bool = False) -> Iterator[dict[str, int]]:
    """The stack for the length of a block, tied to this process; stopped at its end, and by
    a guard process when this one is killed."""
    down()  # leftovers of a killed earlier run
    guard = Guard()
    try:
        yield up(tied=True, with_mlflow=with_mlflow, guard=guard)
    finally:
        down()
        guard.close()


def init_metadata_db() -> str:
    """Create the Airflow metadata database and its role when the connection points at the local
    PostgreSQL (``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``); its name, or '' when not PostgreSQL."""
    import psycopg

    from fuelopt.warehouse.bootstrap import ensure_database, ensure_role
    from fuelopt.warehouse.db import admin_uri

    url = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if not url.startswith("postgresql"):
        return ""
    parts = urlsplit(url)
    name, role = parts.path.lstrip("/"), parts.username or _settings().metadata_role
    with psycopg.connect(admin_uri(), autocommit=True) as conn:
        ensure_role(conn, role)
    ensure_database(admin_uri(), name, role)
    return name


def status() -> dict[str, object]:
    cfg = _settings()
    alive = running()
    return {
        "running": alive,
        "ui": f"http://{cfg.api_host}:{cfg.api_port}" if "api-server" in alive else None,
        "password_file": str(Path(os.environ.get("AIRFLOW_HOME", "")) / PASSWORD_FILE),
        "logs": str(cfg.folder()),
    }


def _cli(args: argparse.Namespace) -> int:
    try:
        if args.action == "up":
            started = up(with_mlflow=args.with_mlflow)
            print(json.dumps({"started": started, **status()}))
        elif args.action == "down":
            print(json.dumps({"stopped": down()}))
        elif args.action == "init-db":
            print(json.dumps({"metadata_db": init_metadata_db()}))
        else:
            print(json.dumps(status()))
    except StackError as exc:
        print(f"fuelopt stack {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "stack",
        help="start, stop or show the local stack (PostgREST stand-in, Airflow, MLflow UI)",
        description=(
            "up: start the PostgREST stand-in and Airflow's api-server, scheduler, dag-processor"
            " and triggerer (LocalExecutor), each with a pid file and a log in stack.state_dir;"
            " down: stop them; status: what runs and where the UI is; init-db: create the"
            " Airflow metadata database on the local PostgreSQL."
        ),
    )
    parser.add_argument("action", choices=["up", "down", "status", "init-db"])
    parser.add_argument("--with-mlflow", action="store_true", help="also start the MLflow UI")
    parser.set_defaults(handler=_cli)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--guard"]:
        _guard(float(sys.argv[2]))
