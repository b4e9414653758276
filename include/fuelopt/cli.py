"""The ``fuelopt`` command line. Each area registers its own subcommands (see COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from fuelopt.config import ConfigError
from fuelopt.errors import BadInput

COMMAND_MODULES = (
    "fuelopt.warehouse.cli",
    "fuelopt.synth.cli",
    "fuelopt.sources.cli",
    "fuelopt.ml.cli",
    "fuelopt.optimize.cli",
    "fuelopt.monitor.cli",
    "fuelopt.reports.cli",
    "fuelopt.pipeline",
    "fuelopt.stack",
    "fuelopt.api.cli",
    "fuelopt.dashboard.cli",
)

# Signals that stop a command cleanly: the handler raises Stopped, so every ``finally`` runs
# (temporary files are removed, transactions rolled back) before the process exits 128 + signal.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stopped(BaseException):
    """The process was asked to stop by ``signum`` (a BaseException: no handler swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def _catch_stop_signals() -> dict[int, object]:
    """Install ``_stop`` for STOP_SIGNALS (main thread only, as signal.signal requires), except
    for a signal that is ignored (``nohup``); returns the handlers to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {
        signum: signal.signal(signum, _stop)
        for signum in STOP_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fuelopt", description="FuelOptiMine: cut diesel in open-pit mines."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its handler returns the exit code (0 unless it says otherwise)."""
    args = build_parser().parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # Airflow configures logging when first imported (connections): keep our level over it.
    logging.getLogger("fuelopt").setLevel(level)
    previous = _catch_stop_signals()
    try:
        return int(args.handler(args) or 0)
    except (BadInput, ConfigError) as exc:
        print(f"fuelopt {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Stopped as exc:
        print(f"fuelopt {args.command}: stopped by {exc}", file=sys.stderr)
        return 128 + exc.signum
    except Exception as exc:
        if os.environ.get("FUELOPT_DEBUG"):
            raise
        print(f"fuelopt {args.command}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
