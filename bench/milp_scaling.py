"""MILP scaling bench: solve seconds, gap and saving vs greedy dispatch on generated scenarios.

    python bench/milp_scaling.py                       # the grid of optimize.bench in fuelopt.yaml
    python bench/milp_scaling.py --only 100x15x6       # one size (or several)
    python bench/milp_scaling.py --quick               # three sizes, up to the goal's
    python bench/milp_scaling.py --time-limit 30 --solver highs

Sizes trucks x shovels x dumps come from ``optimize.bench`` (every combination). Each row: status,
solve seconds, gap (from the solver's best bound), litres of plan and greedy baseline and the
saving. Goals (issue 7): 100 x 15 x 6 to <= 1 % gap within 30 s on 2 cores; saving >= 5 % on the
median scenario. Speed is a ratio against the greedy baseline timed in the same run. The last
line is JSON.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from bench_args import emit, parse_args

from fuelopt.config import get_settings
from fuelopt.optimize import greedy
from fuelopt.optimize.generate import scenario_dict
from fuelopt.optimize.plan import optimize
from fuelopt.optimize.scenario import parse_scenario

# --quick: sizes for a CI-sized machine
QUICK = {"only": ["20x5x3", "50x10x6", "100x15x6"]}
GOAL_SIZE = "100x15x6"


def main() -> None:
    cfg = get_settings().optimize
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=cfg.solver.time_limit_seconds)
    parser.add_argument("--solver", choices=["cbc", "highs"], default=cfg.solver.name)
    parser.add_argument("--only", nargs="+", help="sizes, e.g. 100x15x6")
    args = parse_args(parser, QUICK)
    solver = cfg.solver.model_copy(update={"name": args.solver})
    if args.only:
        sizes = [tuple(int(x) for x in size.split("x")) for size in args.only]
    else:
        sizes = list(itertools.product(cfg.bench.trucks, cfg.bench.shovels, cfg.bench.dumps))

    print(f"solver={args.solver} time_limit={args.time_limit}s gap_rel={solver.gap_rel}")
    head = (
        f"{'size':>12} {'status':>10} {'solve_s':>8} {'gap_%':>6} {'plan_L':>10} "
        f"{'greedy_L':>10} {'saving_%':>8} {'basis':>8} {'milp/greedy time':>16}"
    )
    print(head)
    savings, gaps, solved = [], [], {}
    for t, s, d in sizes:
        scenario = parse_scenario(
            scenario_dict(
                t, s, d, seed=cfg.bench.seed, target_utilisation=cfg.bench.target_utilisation
            )
        )
        start = time.perf_counter()
        greedy.greedy(scenario)
        greedy_s = max(time.perf_counter() - start, 1e-6)
        plan = optimize(scenario, solver, args.time_limit)
        size = f"{t}x{s}x{d}"
        if plan["status"] == "infeasible":
            print(f"{size:>12} {'infeasible':>10} {plan['solve_seconds']:>8.2f}  {plan['reason']}")
            continue
        savings.append(plan["saving_pct"])
        gaps.append(plan["gap_pct"])
        solved[size] = {
            "solve_s": round(plan["solve_seconds"], 3),
            "greedy_s": round(greedy_s, 6),
            "gap_pct": round(plan["gap_pct"], 3),
            "saving_pct": round(plan["saving_pct"], 3),
        }
        print(
            f"{size:>12} {plan['status']:>10} {plan['solve_seconds']:>8.2f} "
            f"{plan['gap_pct']:>6.2f} {plan['objective_fuel_l']:>10.0f} "
            f"{plan['baseline_fuel_l']:>10.0f} {plan['saving_pct']:>8.2f} "
            f"{plan['saving_basis'][:8]:>8} {plan['solve_seconds'] / greedy_s:>16.0f}",
            flush=True,
        )
    if savings:
        print(
            f"median saving {statistics.median(savings):.2f} %, median gap "
            f"{statistics.median(gaps):.2f} %, worst gap {max(gaps):.2f} % over {len(savings)} "
            "solved scenarios"
        )
    goal = solved.get(GOAL_SIZE, {})
    result = {
        "solver": args.solver,
        "time_limit_s": args.time_limit,
        "sizes": len(sizes),
        "solved": len(solved),
        "median_saving_pct": round(statistics.median(savings), 3) if savings else None,
        "median_gap_pct": round(statistics.median(gaps), 3) if gaps else None,
        "worst_gap_pct": round(max(gaps), 3) if gaps else None,
        "goal_size": GOAL_SIZE,
        "goal_size_solve_s": goal.get("solve_s"),
        "goal_size_greedy_s": goal.get("greedy_s"),
        "goal_size_gap_pct": goal.get("gap_pct"),
        "scenarios": solved,
        "goals": {
            "goal_size_gap_pct": "<= 1",
            "goal_size_solve_s": "<= 30",
            "median_saving_pct": ">= 5",
        },
    }
    emit(result, args)


if __name__ == "__main__":
    main()
