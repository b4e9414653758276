"""`fuelopt synth`: generate the synthetic mine to files or the local sources; `init-sources`."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from fuelopt.errors import BadInput


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the ``fuelopt`` parser."""
    parser = sub.add_parser(
        "synth",
        help="generate the deterministic synthetic mine (files or the local source databases)",
        description=(
            "Write equipment, haul_cycles, fuel_dispatch, shift_plan, truck_telemetry and "
            "truth.json to --out, and/or --load them into the local source databases. "
            "`fuelopt synth init-sources` creates those databases (idempotent). Defaults come "
            "from the `synth` section of include/config/fuelopt.yaml."
        ),
    )
    parser.add_argument("action", nargs="?", choices=["init-sources"], help="create the sources")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--trucks", type=int)
    parser.add_argument("--shovels", type=int)
    parser.add_argument("--dumps", type=int)
    parser.add_argument("--start", help="first shift date, ISO (YYYY-MM-DD)")
    parser.add_argument("--clean", action="store_true", help="inject no defects")
    parser.add_argument("--scenario", help="payload_shift | road_degradation | new_truck_model")
    parser.add_argument("--scenario-day", type=int, help="day index the scenario starts")
    parser.add_argument("--out", type=Path, help="output folder")
    parser.add_argument("--format", default="csv", help="csv | parquet (default csv)")
    parser.add_argument("--load", action="store_true", help="load into the source databases")
    parser.add_argument("--telemetry-url", help="telemetry database URI (default: env)")
    parser.add_argument("--operations-url", help="operations database URI (default: connection)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.action == "init-sources":
        from fuelopt.synth.load import init_sources

        init_sources(args.telemetry_url, args.operations_url)
        print(json.dumps({"init_sources": "ok"}))
        return 0

    from fuelopt.synth.output import FORMATS, write_mine
    from fuelopt.synth.spec import MineSpec

    if args.out is None and not args.load:
        raise BadInput("--out: give an output folder, or --load, or both")
    if args.format not in FORMATS:
        raise BadInput(f"--format: {args.format!r} is not one of {', '.join(FORMATS)}")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise BadInput(f"--out: {args.out} exists and is not a folder")
    start = None
    if args.start is not None:
        try:
            start = date.fromisoformat(args.start)
        except ValueError:
            raise BadInput(f"--start: not an ISO date (YYYY-MM-DD): {args.start!r}") from None
    try:
        spec = MineSpec(
            seed=args.seed,
            days=args.days,
            trucks=args.trucks,
            shovels=args.shovels,
            dumps=args.dumps,
            start=start,
            clean=args.clean,
            scenario=args.scenario,
            scenario_start_day=args.scenario_day,
        )
    except BadInput as exc:  # name the option, not the field
        field, _, problem = str(exc).partition(": ")
        option = "--scenario-day" if field == "scenario_start_day" else f"--{field}"
        raise BadInput(f"{option}: {problem}") from None
    summary = write_mine(
        spec,
        args.out,
        args.format,
        load=args.load,
        telemetry_uri=args.telemetry_url,
        operations_uri=args.operations_url,
    )
    print(json.dumps(summary, sort_keys=True))
    return 0
