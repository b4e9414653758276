"""`fuelopt synth`: generate the synthetic mine to files or the local sources; `init-sources`."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fuelopt.errors import BadInput

if TYPE_CHECKING:
    from fuelopt.synth.spec import MineSpec


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the ``fuelopt`` parser."""
    parser = sub.add_parser(
        "synth",
        help="generate the deterministic synthetic mine (files or the local source databases)",
        description=(
            "Write equipment, haul_cycles, fuel_dispatch, shift_plan, truck_telemetry and "
            "truth.json to --out, and/or --load them into the local source databases. "
            "`fuelopt synth init-sources` creates those databases (idempotent). "
            "`fuelopt synth scenario --shift-date D --shift day|night --out S.json` writes the "
            "scenario of that shift built from the mine's history as the DAG builds it; "
            "`fuelopt synth replay ... --plan PLAN.json --out OUT.json` runs a plan in the mine. "
            "Defaults come from the `synth` section of include/config/fuelopt.yaml."
        ),
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=["init-sources", "scenario", "replay"],
        help="create the sources | write a shift's scenario | replay a plan",
    )
    parser.add_argument("--seed", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--trucks", type=int)
    parser.add_argument("--shovels", type=int)
    parser.add_argument("--dumps", type=int)
    parser.add_argument("--start", help="first shift date, ISO (YYYY-MM-DD)")
    parser.add_argument("--clean", action="store_true", help="inject no defects")
    parser.add_argument("--scenario", help="payload_shift | road_degradation | new_truck_model")
    parser.add_argument("--scenario-day", type=int, help="day index the scenario starts")
    parser.add_argument("--out", type=Path, help="output folder (scenario, replay: JSON file)")
    parser.add_argument("--shift-date", help="scenario, replay: the shift's date (YYYY-MM-DD)")
    parser.add_argument("--shift", help="scenario, replay: day | night")
    parser.add_argument("--plan", type=Path, help="replay: plan JSON (docs/contracts.md §4)")
    parser.add_argument(
        "--fuel", default="physics", help="scenario: litres per cycle from physics | mine"
    )
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

    if args.action in ("scenario", "replay"):
        return _shift_action(args)

    from fuelopt.synth.output import FORMATS, write_mine

    if args.out is None and not args.load:
        raise BadInput("--out: give an output folder, or --load, or both")
    if args.format not in FORMATS:
        raise BadInput(f"--format: {args.format!r} is not one of {', '.join(FORMATS)}")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise BadInput(f"--out: {args.out} exists and is not a folder")
    summary = write_mine(
        _spec(args),
        args.out,
        args.format,
        load=args.load,
        telemetry_uri=args.telemetry_url,
        operations_uri=args.operations_url,
    )
    print(json.dumps(summary, sort_keys=True))
    return 0


def _iso(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option}: not an ISO date (YYYY-MM-DD): {value!r}") from None


def _spec(args: argparse.Namespace) -> MineSpec:
    from fuelopt.synth.spec import MineSpec

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
    return spec


def _shift_action(args: argparse.Namespace) -> int:
    """`synth scenario` and `synth replay`: one shift of the mine, JSON to --out."""
    from fuelopt.config import get_settings
    from fuelopt.frames import read_json, write_json
    from fuelopt.synth import replay
    from fuelopt.synth.generate import Mine

    if args.out is None:
        raise BadInput("--out: give the output JSON file")
    if args.out.is_dir():
        raise BadInput(f"--out: {args.out} is a folder, not a file")
    shift_date = _iso(args.shift_date, "--shift-date")
    if shift_date is None:
        raise BadInput("--shift-date: required (YYYY-MM-DD)")
    if args.shift not in ("day", "night"):
        raise BadInput(f"--shift: must be day or night, got {args.shift!r}")
    mine = Mine(_spec(args))
    day = replay.day_index(mine, shift_date)
    if args.action == "scenario":
        doc = replay.shift_scenario(
            mine, shift_date, args.shift, get_settings().optimize, args.fuel
        )
    else:
        if args.plan is None:
            raise BadInput("--plan: required (a plan JSON of `fuelopt optimize`)")
        doc = replay.replay(mine, day, args.shift, read_json(args.plan))
    write_json(doc, args.out)
    summary = {k: doc[k] for k in ("litres", "tonnes", "litres_per_t") if k in doc}
    print(json.dumps({"action": args.action, "out": str(args.out), **summary}, sort_keys=True))
    return 0
