"""Command-line options every bench shares: ``--quick`` (small sizes for CI-sized machines) and
``--json-out``, and the bench's final JSON line.

A bench declares its quick sizes as option defaults (``{"days": 60, ...}``); with ``--quick``
they replace the full defaults, and an option given on the command line still wins.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def parse_args(
    parser: argparse.ArgumentParser,
    quick: Mapping[str, Any],
    argv: Sequence[str] | None = None,
    note: str = "",
) -> argparse.Namespace:
    """Add ``--quick`` and ``--json-out`` to ``parser`` and parse ``argv``; ``note`` describes
    quick sizes the bench takes from elsewhere (the config)."""
    sizes = " ".join(f"--{k.replace('_', '-')} {_shown(v)}" for k, v in quick.items())
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small sizes for a CI-sized machine ({sizes or note})",
    )
    parser.add_argument("--json-out", type=Path, help="also write the final JSON line here")
    known, _ = parser.parse_known_args(argv)
    if known.quick:
        parser.set_defaults(**quick)
    return parser.parse_args(argv)


def _shown(value: Any) -> str:
    return " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def emit(result: Mapping[str, Any], args: argparse.Namespace) -> None:
    """Print ``result`` as the bench's last line (one JSON line) and write it to ``--json-out``."""
    line = json.dumps(result)
    print(line, flush=True)
    if getattr(args, "json_out", None):
        args.json_out.write_text(line + "\n")
