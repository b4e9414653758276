"""``fuelopt extract`` as a real process against a source that hangs: stopped or killed, it
leaves no temporary file beside its output."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.cli import cli_env, run_cli, start_cli

pytestmark = pytest.mark.integration


class _Hang(BaseHTTPRequestHandler):
    """Reads the request, then answers nothing until the test ends."""

    def do_GET(self) -> None:
        self.server.requests += 1
        self.server.release.wait(120)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def hanging_source() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hang)
    server.daemon_threads = True
    server.requests, server.release = 0, threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _extract(server: ThreadingHTTPServer, out) -> list[str]:
    host, port = server.server_address[:2]
    return [
        "extract", "telemetry", "--since", "2026-01-05T00:00", "--until", "2026-01-05T01:00",
        "--out", str(out), "--base-url", f"http://{host}:{port}", "--token", "t",
    ]  # fmt: skip


def _wait_for_request(server: ThreadingHTTPServer, proc, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while server.requests == 0:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the extract never reached the source"
        time.sleep(0.1)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopped_extract_removes_its_temp_file(tmp_path, hanging_source, signum):
    out = tmp_path / "tele.csv"
    proc = start_cli(*_extract(hanging_source, out))
    try:
        _wait_for_request(hanging_source, proc)
        assert list(tmp_path.glob(".*.tmp")), "the temp file is written while extracting"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum
    assert "Traceback" not in err
    assert err.strip().splitlines() == [f"fuelopt extract: stopped by {signum.name}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_temp_file_of_a_killed_extract_is_removed_by_the_next(tmp_path, hanging_source):
    out = tmp_path / "tele.csv"
    proc = start_cli(*_extract(hanging_source, out))
    try:
        _wait_for_request(hanging_source, proc)
    finally:
        proc.kill()  # SIGKILL: no clean-up can run in the killed process
        proc.communicate(timeout=60)
    assert len(list(tmp_path.glob(".*.tmp"))) == 1
    (tmp_path / ".other.csv.1.abc.tmp").write_text("not ours")  # another output's temp file

    hanging_source.release.set()  # the next run fails fast: the source closes without answer
    done = run_cli(*_extract(hanging_source, out), FUELOPT__SOURCES__POSTGREST__RETRY__ATTEMPTS="1")
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.csv.1.abc.tmp"]


def test_an_ignored_hangup_stays_ignored(tmp_path, hanging_source):
    """Under ``nohup`` (SIGHUP ignored) a hangup does not stop the command."""
    out = tmp_path / "tele.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuelopt", *_extract(hanging_source, out)],
        env=cli_env(),
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    try:
        _wait_for_request(hanging_source, proc)
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
