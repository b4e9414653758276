"""Deadlines of a telemetry extract against a real HTTP server that trickles its answer one
byte at a time (each read succeeds, so no per-read timeout ever trips): the real CLI and the
DAG's load both fail within the configured bounds, and raw is neither touched nor locked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest

from fuelopt.errors import SourceUnavailable
from fuelopt.sources.tables import TELEMETRY_COLUMNS
from fuelopt.warehouse.loader import Interval, load_interval
from tests.support.cli import run_cli
from tests.support.sources import T0, telemetry_rows

pytestmark = pytest.mark.integration

TRICKLE_SECONDS = 0.5  # one byte this often: far below the 20 s per-read timeout
BOUNDS = {
    "FUELOPT__SOURCES__POSTGREST__REQUEST_TIMEOUT_SECONDS": "1.5",
    "FUELOPT__SOURCES__POSTGREST__LOAD_TIMEOUT_SECONDS": "4",
    "FUELOPT__SOURCES__POSTGREST__RETRY__ATTEMPTS": "50",
    "FUELOPT__SOURCES__POSTGREST__RETRY__INITIAL_SECONDS": "0.05",
    "FUELOPT__SOURCES__POSTGREST__RETRY__MAX_SECONDS": "0.1",
}
LOAD_BOUND = float(BOUNDS["FUELOPT__SOURCES__POSTGREST__LOAD_TIMEOUT_SECONDS"])


class _Trickle(BaseHTTPRequestHandler):
    """Answers 200 with a JSON body (or, in ``headers`` mode, the headers themselves) sent one
    byte every TRICKLE_SECONDS until the test ends."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            server.requests.append(time.monotonic())
        try:
            if server.mode == "headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                slow = b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                slow = b"[" + b" " * 99999
            for byte in slow:
                if server.release.wait(TRICKLE_SECONDS):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:  # the client hung up: what a deadline does
            return

    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def _serve(mode: str) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    server.mode, server.requests = mode, []
    server.lock, server.release = threading.Lock(), threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(params=["body", "headers"])
def trickling_source(request) -> Iterator[ThreadingHTTPServer]:
    with _serve(request.param) as server:
        yield server


@pytest.fixture
def small_bounds(monkeypatch) -> Iterator[None]:
    from fuelopt.config import get_settings

    for key, value in BOUNDS.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def test_cli_fails_within_the_load_bound(tmp_path, trickling_source):
    out = tmp_path / "tele.csv"
    done = run_cli(
        "extract", "telemetry", "--since", "2026-01-05T00:00", "--until", "2026-01-05T01:00",
        "--out", str(out), "--base-url", _url(trickling_source), "--token", "t",
        timeout=120, **BOUNDS,
    )  # fmt: skip
    ended = time.monotonic()
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"{_url(trickling_source)}/truck_telemetry page 1" in lines[0]
    assert "load_timeout_seconds" in lines[0]
    requests = trickling_source.requests
    assert len(requests) >= 2, "a request that overran its deadline is retried"
    # every request was cut at the request bound, and the whole extract at the load bound
    assert ended - requests[0] < LOAD_BOUND + 2
    assert list(tmp_path.iterdir()) == []


def _raw(uri: str) -> tuple[int, int]:
    with psycopg.connect(uri) as conn:
        rows = conn.execute("SELECT count(*) FROM raw.truck_telemetry").fetchone()[0]
        audits = conn.execute("SELECT count(*) FROM ops.load_audit").fetchone()[0]
    return rows, audits


def _locks_on_raw(uri: str) -> list[tuple]:
    """Advisory locks and locks on raw tables held in the warehouse database."""
    with psycopg.connect(uri) as conn:
        return conn.execute(
            """SELECT l.locktype, c.relname FROM pg_locks l
               LEFT JOIN pg_class c ON c.oid = l.relation
               LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND (l.locktype = 'advisory' OR n.nspname = 'raw')"""
        ).fetchall()


def test_dag_load_fails_within_bound_leaving_raw_untouched_and_unlocked(
    warehouse_uri, small_bounds
):
    from fuelopt.sources.extract import load_telemetry

    end = T0 + timedelta(hours=1)
    load_interval("truck_telemetry", TELEMETRY_COLUMNS, [telemetry_rows(minutes=60)],
                  source="test", interval=Interval("ts", T0, end))  # fmt: skip
    before = _raw(warehouse_uri)
    with _serve("body") as server, ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        load = pool.submit(load_telemetry, T0, end, since=T0, until=end,
                           base_url=_url(server), token="t")  # fmt: skip
        while not server.requests:
            assert not load.done(), load.exception()
            time.sleep(0.05)
        time.sleep(TRICKLE_SECONDS * 2)  # the source is trickling now
        assert _locks_on_raw(warehouse_uri) == []
        with pytest.raises(SourceUnavailable, match="load_timeout_seconds"):
            load.result(timeout=60)
        assert time.monotonic() - started < LOAD_BOUND + 2
    assert _raw(warehouse_uri) == before
