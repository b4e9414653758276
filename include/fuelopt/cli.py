"""The ``fuelopt`` command line. Each area registers its own subcommands (see COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
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
    "fuelopt.pipeline",
    "fuelopt.stack",
)


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
    try:
        return int(args.handler(args) or 0)
    except (BadInput, ConfigError) as exc:
        print(f"fuelopt {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("FUELOPT_DEBUG"):
            raise
        print(f"fuelopt {args.command}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
