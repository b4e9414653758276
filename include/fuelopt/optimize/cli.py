"""Subcommands of this area (registered by fuelopt.cli): ``optimize`` and ``validate-plan``."""

from __future__ import annotations

import argparse
import math
import sys


def _optimize(args: argparse.Namespace) -> int:
    from fuelopt.config import get_settings
    from fuelopt.errors import BadInput
    from fuelopt.frames import write_json
    from fuelopt.optimize.plan import optimize, price
    from fuelopt.optimize.scenario import load_scenario

    if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise BadInput(f"--time-limit: must be a positive number of seconds, got {args.time_limit}")
    scenario = load_scenario(args.scenario)
    settings = get_settings()
    plan = price(optimize(scenario, settings.optimize.solver, args.time_limit), settings.reports)
    write_json(plan, args.out)
    if plan["status"] == "infeasible":
        print(f"fuelopt optimize: error: {args.scenario}: {plan['reason']}", file=sys.stderr)
        return 2
    return 0


def _validate_plan(args: argparse.Namespace) -> int:
    from fuelopt.config import get_settings
    from fuelopt.errors import BadInput
    from fuelopt.frames import read_json
    from fuelopt.optimize.diagnose import reaching_plan
    from fuelopt.optimize.scenario import load_scenario
    from fuelopt.optimize.validate import plan_violations

    scenario = load_scenario(args.scenario)
    plan = read_json(args.plan)
    solver = get_settings().optimize.solver
    errors = plan_violations(scenario, plan, tol=solver.tolerance)
    if not errors and plan["status"] == "infeasible" and reaching_plan(scenario, solver):
        errors.append("status: says infeasible, but a plan exists that reaches every target")
    if errors:
        raise BadInput(f"{args.plan}: invalid plan: " + "; ".join(errors))
    print(f"{args.plan}: valid ({plan['status']}, {len(plan['assignments'])} assignments)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the ``fuelopt`` parser."""
    p = sub.add_parser(
        "optimize",
        help="assign trucks to shovel/dump routes for one shift (MILP), vs a greedy dispatcher",
    )
    p.add_argument("--scenario", required=True, help="scenario JSON (docs/contracts.md §4)")
    p.add_argument("--out", required=True, help="plan JSON to write")
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="solver time limit (default: optimize.solver.time_limit_seconds)",
    )
    p.set_defaults(handler=_optimize)

    v = sub.add_parser("validate-plan", help="recompute every constraint of a plan (exit 2 if bad)")
    v.add_argument("--scenario", required=True)
    v.add_argument("--plan", required=True)
    v.set_defaults(handler=_validate_plan)
