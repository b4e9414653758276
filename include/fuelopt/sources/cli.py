"""``fuelopt extract telemetry|operations``: the DAGs' extraction code, to a file, for on-call."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _telemetry(args: argparse.Namespace) -> int:
    from fuelopt.intervals import to_utc
    from fuelopt.sources.extract import telemetry_to_file

    since = to_utc(args.since, "--since")
    until = to_utc(args.until, "--until")
    rows = telemetry_to_file(since, until, Path(args.out), base_url=args.base_url, token=args.token)
    print(json.dumps({"table": "truck_telemetry", "rows": rows, "out": args.out}))
    return 0


def _operations(args: argparse.Namespace) -> int:
    from fuelopt.intervals import to_utc
    from fuelopt.sources.extract import operations_to_file

    since = to_utc(args.since, "--since")
    rows = operations_to_file(args.table, since, Path(args.out))
    print(json.dumps({"table": args.table, "rows": rows, "out": args.out}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``fuelopt extract`` to the ``fuelopt`` parser."""
    parser = sub.add_parser("extract", help="extract source rows to a file (on-call debugging)")
    kinds = parser.add_subparsers(dest="source", required=True)

    tele = kinds.add_parser(
        "telemetry", help="truck_telemetry rows since <= ts < until from PostgREST"
    )
    tele.add_argument("--since", required=True, help="ISO timestamp, inclusive (naive = UTC)")
    tele.add_argument("--until", required=True, help="ISO timestamp, exclusive (naive = UTC)")
    tele.add_argument("--out", required=True, help="output .csv or .parquet")
    tele.add_argument("--base-url", help="PostgREST URL (default: the Airflow connection's)")
    tele.add_argument("--token", help="bearer token (default: the Airflow connection password)")
    tele.set_defaults(handler=_telemetry)

    ops = kinds.add_parser("operations", help="one SQL Server operations table")
    ops.add_argument(
        "--table", required=True, help="equipment, haul_cycles, fuel_dispatch or shift_plan"
    )
    ops.add_argument("--since", help="ISO timestamp: rows with watermark >= since")
    ops.add_argument("--out", required=True, help="output .csv or .parquet")
    ops.set_defaults(handler=_operations)
