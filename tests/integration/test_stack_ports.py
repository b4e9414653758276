"""A busy port stops ``fuelopt pipeline`` and ``fuelopt stack up`` before anything starts or any
source is reloaded, with one line naming the port."""

from __future__ import annotations

import os
import socket
import subprocess

import psycopg
import pytest

from tests.support.stack import ROOT, free_port

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("command", [["fuelopt", "pipeline"], ["fuelopt", "stack", "up"]])
def test_busy_standin_port_is_named_before_anything_starts(command, make_database, tmp_path):
    telemetry = make_database("fuelopt_tel")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "AIRFLOW_CONN_FUELOPT_POSTGREST": f"http://127.0.0.1:{port}",
            "FUELOPT_TELEMETRY_DB_URL": telemetry,
            "FUELOPT__STACK__STATE_DIR": str(tmp_path / "stack"),
            "FUELOPT__STACK__API_PORT": str(free_port()),
        }
        done = subprocess.run(
            command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
    assert done.returncode != 0
    assert f"postgrest-standin port {port}" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "stack").glob("*.pid"))
    with psycopg.connect(telemetry) as conn:  # the sources were not touched
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'api'"
        ).fetchone()[0]
    assert tables == 0
