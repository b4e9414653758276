"""``fuelopt dashboard``: the Streamlit app, headless and without usage statistics."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from fuelopt.api.cli import port_number
from fuelopt.config import get_settings

APP = Path(__file__).with_name("app.py")


def streamlit_command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line: headless, no usage statistics, no file watcher."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``dashboard`` to the ``fuelopt`` parser."""
    parser = sub.add_parser("dashboard", help="serve the read-only dashboard (Streamlit)")
    parser.add_argument("--host", help="address to listen on (default: dashboard.host)")
    parser.add_argument("--port", type=port_number, help="port (default: dashboard.port)")
    parser.set_defaults(handler=_dashboard)


def _dashboard(args: argparse.Namespace) -> int:
    from fuelopt.warehouse.marts import reader_uri

    cfg = get_settings().dashboard
    reader_uri()  # a missing bi_reader connection fails here, not in the browser
    env = {
        **os.environ,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_HEADLESS": "true",
    }
    command = streamlit_command(args.host or cfg.host, args.port or cfg.port)
    proc = subprocess.Popen(command, env=env)
    try:
        return proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=get_settings().stack.stop_timeout_seconds)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
