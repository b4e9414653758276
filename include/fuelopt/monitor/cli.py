"""``fuelopt drift``: per-column drift report between two files (docs/contracts.md §5)."""

from __future__ import annotations

import argparse
import json
import math


def _drift(args: argparse.Namespace) -> int:
    from fuelopt.config import get_settings
    from fuelopt.errors import BadInput
    from fuelopt.frames import numeric_column, read_frame, write_json
    from fuelopt.monitor.drift import compare, default_columns, is_numeric

    reference = read_frame(args.reference)
    current = read_frame(args.current)
    for path, frame in ((args.reference, reference), (args.current, current)):
        if frame.empty:
            raise BadInput(f"{path}: no rows (empty or header-only file)")
    columns = None
    if args.columns is None:
        if not default_columns(reference, current, get_settings().monitor.drift):
            raise BadInput(
                f"{args.current}: no column to compare in common with {args.reference}"
                f" (reference columns: {', '.join(map(str, reference.columns))})"
            )
    else:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
        if not columns:
            raise BadInput("--columns: no column named")
        for col in columns:
            for label, path, frame in (
                ("reference", args.reference, reference),
                ("current", args.current, current),
            ):
                if col not in frame.columns:
                    raise BadInput(f"{path}: --columns names {col!r}, not a column of the {label}")
    compared = columns or default_columns(reference, current, get_settings().monitor.drift)
    for col in compared:  # numeric on one side: a stray text value on the other is bad input
        sides = ((args.reference, reference[col]), (args.current, current[col]))
        if any(is_numeric(values) for _, values in sides):
            for path, values in sides:
                numeric_column(values.to_frame(), col, path, max_abs=math.inf)
    report = compare(reference, current, columns)
    write_json(report, args.out)
    print(json.dumps({"drifted": report["drifted"], "severity": report["severity"]}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the ``fuelopt`` parser."""
    parser = sub.add_parser(
        "drift", help="per-column drift (PSI, KS, chi-square) between two windows"
    )
    parser.add_argument("--reference", required=True, help="reference window (.csv or .parquet)")
    parser.add_argument("--current", required=True, help="current window (.csv or .parquet)")
    parser.add_argument("--out", required=True, help="JSON report to write")
    parser.add_argument(
        "--columns", help="comma-separated columns to compare (default: every shared column)"
    )
    parser.set_defaults(handler=_drift)
