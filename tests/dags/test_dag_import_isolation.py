"""Importing the DAG files opens no database or network connection.

Every connection the code knows (Airflow connections, admin and telemetry URLs, MLflow) is pointed
at a local listener that counts accepted connections, Python-level socket connects are refused,
and the DAG folder is parsed in a fresh interpreter. libpq connects through C, so the listener is
what proves no PostgreSQL connection was attempted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PARSE = r"""
import json, socket, sys
attempts = []
_connect = socket.socket.connect
def guard(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        attempts.append(str(address))
        raise OSError("network access during DAG import: %s" % (address,))
    return _connect(self, address)
socket.socket.connect = guard
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
print(json.dumps({"dags": sorted(bag.dag_ids), "errors": {k: v[-300:] for k, v in
      bag.import_errors.items()}, "attempts": attempts}))
"""


class CountingListener:
    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def parse_isolated(folder: Path) -> tuple[dict, int]:
    """Parse ``folder`` in a fresh interpreter , every connection aimed at the listener."""
    listener = CountingListener()
    try:
        port = listener.port
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_CONN_FUELOPT_WAREHOUSE": f"postgresql://nobody@127.0.0.1:{port}/nowhere",
                "AIRFLOW_CONN_FUELOPT_SQLSERVER": f"mssql://nobody@127.0.0.1:{port}/nowhere",
                "AIRFLOW_CONN_FUELOPT_POSTGREST": f"http://127.0.0.1:{port}",
                "FUELOPT_TELEMETRY_DB_URL": f"postgresql://nobody@127.0.0.1:{port}/nowhere",
                "FUELOPT_ADMIN_URL": f"postgresql://nobody@127.0.0.1:{port}/nowhere",
                "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}",
                "PGHOST": "127.0.0.1",
                "PGPORT": str(port),
            }
        )
        proc = subprocess.run(
            [sys.executable, "-c", PARSE, str(folder)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        listener.close()
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), listener.accepted


def test_dag_import_opens_no_connection(airflow_home):
    result, accepted = parse_isolated(ROOT / "dags")
    files = {p.stem for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_")}
    assert result["errors"] == {}
    assert set(result["dags"]) == files
    assert result["attempts"] == []
    assert accepted == 0


def test_a_dag_that_connects_at_import_is_caught(tmp_path, airflow_home):
    (tmp_path / "greedy.py").write_text(
        "import os, psycopg\n"
        "try:\n"
        "    psycopg.connect(os.environ['AIRFLOW_CONN_FUELOPT_WAREHOUSE'], connect_timeout=2)\n"
        "except psycopg.OperationalError:\n"
        "    pass\n"
    )
    _, accepted = parse_isolated(tmp_path)
    assert accepted >= 1
