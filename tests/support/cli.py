"""Run the real ``fuelopt`` command line in a subprocess, with this checkout's code first."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli_env(**overrides: str) -> dict[str, str]:
    """The test environment with this checkout's ``include`` first on PYTHONPATH."""
    env = dict(os.environ)
    paths = [str(ROOT / "include"), *filter(None, [env.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("FUELOPT_DEBUG", None)
    env.update(overrides)
    return env


def start_cli(*args: str, **env: str) -> subprocess.Popen:
    """``python -m fuelopt ARGS`` started in the background (stdout and stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "fuelopt", *args],
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """``python -m fuelopt ARGS`` to the end: its exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "fuelopt", *args],
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def serving(
    *args: str, ready_path: str, log: Path, timeout: float = 120, **env: str
) -> Iterator[str]:
    """``python -m fuelopt ARGS --port P`` on a free port, its output in ``log`` (a pipe left
    unread could fill and stall it), until the block ends; yields the base URL once
    ``GET ready_path`` answers without a server error. The process is stopped afterwards."""
    import httpx

    from tests.support.stack import free_port

    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fuelopt", *args, "--port", str(port)],
            env=cli_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"fuelopt {args[0]} exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(base + ready_path, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"fuelopt {args[0]} did not answer in {timeout} s"
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
