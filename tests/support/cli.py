"""Run the real ``fuelopt`` command line in a subprocess, with this checkout's code first."""

from __future__ import annotations

import os
import subprocess
import sys
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
