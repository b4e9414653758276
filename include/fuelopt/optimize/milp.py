"""The fleet-assignment MILP in PuLP, solved with CBC (bundled) or HiGHS (highspy).

Variables: ``y[t,s]`` binary, truck t works at shovel s; ``n[t,r]`` integer, cycles of truck t on
route r (a (shovel, dump) pair its model may use). Constraints: one shovel per truck;
``sum_r(s) n[t,r] x cycle_h <= available_h x y[t,s]`` (hours, and no cycles where the truck is
not); shovel tonnes >= target; shovel loads <= max_loads_per_h x shift_hours; dump tonnes <=
capacity. Objective: total litres.

With the scenario's optional ``queue`` model (fuelopt.optimize.queueing) the queue a plan causes
is priced: ``u[s,k]`` binary, at least k trucks at shovel s (``sum_k u[s,k] = sum_t y[t,s]``,
``u[s,k] >= u[s,k+1]``, at most ``max_trucks_per_shovel``); ``w[t,s] >= sum_r n[t,r] x
extra_h(r, k) - M (1 - u[s,k])`` is the truck's queue hours beyond the history's, added to its
hours; the objective adds ``idle_l_per_h x w``.
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pulp

from fuelopt.optimize import queueing
from fuelopt.optimize.scenario import Scenario
from fuelopt.optimize.settings import SolverSettings

log = logging.getLogger(__name__)

# Integer bounds use floor(hours / cycle_h + EPS) so that 11.0 / 0.55 gives 20, not 19.
EPS = 1e-9


@dataclass
class Solution:
    """Outcome of one solve: status, cycles per (truck, route index), figures."""

    status: str  # optimal | feasible | infeasible
    cycles: dict[tuple[int, int], int] = field(default_factory=dict)
    objective: float | None = None
    bound: float | None = None
    gap_pct: float | None = None
    solve_seconds: float = 0.0
    solver_status: str = ""
    shortfall_t: dict[str, float] = field(default_factory=dict)
    bound_source: str = "solver"  # solver | lp_relaxation
    incumbent: str = "milp"  # which search found the plan: milp | greedy | feasibility_phase


@dataclass
class Model:
    prob: pulp.LpProblem
    n: dict[tuple[int, int], pulp.LpVariable]
    shortfall: dict[str, pulp.LpVariable]
    y: dict[tuple[int, int], pulp.LpVariable] = field(default_factory=dict)


def max_cycles(available_h: float, cycle_h: float) -> int:
    return max(0, math.floor(available_h / cycle_h + EPS))


def build(
    scenario: Scenario,
    *,
    target_slack: bool = False,
    drop: frozenset[str] = frozenset(),
    relax: bool = False,
) -> Model:
    """The PuLP model. ``target_slack`` adds a shortfall variable per shovel and minimises total
    shortfall instead of litres (diagnosis of infeasible scenarios); ``drop`` removes constraint
    families (``loads``, ``dumps``); ``relax`` makes every variable continuous (LP bound)."""
    prob = pulp.LpProblem("fleet_assignment", pulp.LpMinimize)
    cat_int = pulp.LpContinuous if relax else pulp.LpInteger
    cat_bin = pulp.LpContinuous if relax else pulp.LpBinary
    n: dict[tuple[int, int], pulp.LpVariable] = {}
    y: dict[tuple[int, int], pulp.LpVariable] = {}
    hours: dict[tuple[int, int], list] = {}
    for ti, truck in enumerate(scenario.trucks):
        for si, shovel in enumerate(scenario.shovels):
            routes = scenario.routes_for(truck, shovel)
            routes = [
                (ri, r) for ri, r in routes if max_cycles(truck.available_h, r.cycle_h[truck.model])
            ]
            if not routes:
                continue
            y[ti, si] = pulp.LpVariable(f"y_{ti}_{si}", 0, 1, cat_bin)
            for ri, r in routes:
                ub = max_cycles(truck.available_h, r.cycle_h[truck.model])
                n[ti, ri] = pulp.LpVariable(f"n_{ti}_{ri}", 0, ub, cat_int)
            hours[ti, si] = [(n[ti, ri], r.cycle_h[truck.model]) for ri, r in routes]

    queue_w = _queue_terms(scenario, prob, y, n, cat_bin) if scenario.queue else {}
    shortfall = {}
    if target_slack:
        for s in scenario.shovels:
            shortfall[s.id] = pulp.LpVariable(f"short_{len(shortfall)}", 0, s.target_t)
        prob += pulp.lpSum(shortfall.values())
    else:
        prob += pulp.lpSum(
            scenario.routes[ri].fuel_l_per_cycle[scenario.trucks[ti].model] * v
            for (ti, ri), v in n.items()
        ) + pulp.lpSum(scenario.queue.idle_l_per_h * w for w in queue_w.values())

    for ti in range(len(scenario.trucks)):
        ys = [v for (t, _), v in y.items() if t == ti]
        if len(ys) > 1:
            prob += pulp.lpSum(ys) <= 1, f"one_shovel_{ti}"
    for (ti, si), terms in hours.items():
        prob += (
            pulp.lpSum(c * v for v, c in terms) + queue_w.get((ti, si), 0)
            <= scenario.trucks[ti].available_h * y[ti, si],
            f"hours_{ti}_{si}",
        )
    for si, shovel in enumerate(scenario.shovels):
        on_shovel = [(ti, ri) for (ti, ri) in n if scenario.routes[ri].shovel == shovel.id]
        tonnes = pulp.lpSum(scenario.trucks[ti].payload_t * n[ti, ri] for ti, ri in on_shovel)
        if target_slack:
            tonnes = tonnes + shortfall[shovel.id]
        prob += tonnes >= shovel.target_t, f"target_{si}"
        if "loads" not in drop:
            prob += (
                pulp.lpSum(n[k] for k in on_shovel) <= scenario.max_loads(shovel),
                f"loads_{si}",
            )
    if "dumps" not in drop:
        for di, dump in enumerate(scenario.dumps):
            into = [(ti, ri) for (ti, ri) in n if scenario.routes[ri].dump == dump.id]
            prob += (
                pulp.lpSum(scenario.trucks[ti].payload_t * n[ti, ri] for ti, ri in into)
                <= dump.capacity_t,
                f"dump_{di}",
            )
    return Model(prob, n, shortfall, y)


def _queue_terms(
    scenario: Scenario,
    prob: pulp.LpProblem,
    y: dict[tuple[int, int], pulp.LpVariable],
    n: dict[tuple[int, int], pulp.LpVariable],
    cat_bin: str,
) -> dict[tuple[int, int], pulp.LpVariable]:
    """Queue hours beyond the history's per (truck, shovel): the module doc's u and w."""
    waits = queueing.shovel_waits(scenario)
    cap = scenario.queue.max_trucks_per_shovel
    w: dict[tuple[int, int], pulp.LpVariable] = {}
    for si, shovel in enumerate(scenario.shovels):
        here = [ti for (ti, s) in y if s == si]
        if not here:
            continue
        top = min(cap, len(here))
        u = [pulp.LpVariable(f"u_{si}_{k}", 0, 1, cat_bin) for k in range(1, top + 1)]
        prob += pulp.lpSum(y[ti, si] for ti in here) == pulp.lpSum(u), f"trucks_at_{si}"
        for k in range(1, top):
            prob += u[k - 1] >= u[k], f"order_{si}_{k}"
        for ti in here:
            model = scenario.trucks[ti].model
            on = [
                (ri, v)
                for (t, ri), v in n.items()
                if t == ti and scenario.routes[ri].shovel == shovel.id
            ]
            w[ti, si] = pulp.LpVariable(f"w_{ti}_{si}", 0)
            for k in range(1, top + 1):
                per = [(queueing.extra_h(scenario, waits, ri, model, k), ri, v) for ri, v in on]
                if not any(e > 0 for e, _, _ in per):
                    continue
                big = sum(e * v.upBound for e, _, v in per)
                prob += (
                    w[ti, si] >= pulp.lpSum(e * v for e, _, v in per) - big * (1 - u[k - 1]),
                    f"queue_{ti}_{si}_{k}",
                )
    return w


def _solver(settings: SolverSettings, time_limit: float, log_path: Path | None):
    if settings.name == "highs":
        return pulp.HiGHS(
            msg=False,
            timeLimit=time_limit,
            gapRel=settings.gap_rel,
            threads=settings.threads,
            random_seed=settings.seed,
            mip_max_nodes=settings.max_nodes,
        )
    return pulp.PULP_CBC_CMD(
        msg=False,
        timeLimit=time_limit,
        gapRel=settings.gap_rel,
        threads=settings.threads,
        maxNodes=settings.max_nodes,
        logPath=str(log_path) if log_path else None,
        options=[
            *settings.cbc_options,
            f"randomSeed {settings.seed}",
            f"randomCbcSeed {settings.seed}",
        ],
    )


def _cbc_bound(log_text: str) -> float | None:
    """CBC prints ``Lower bound: X`` in its result summary when the search stops early."""
    match = re.search(r"^Lower bound:\s+(-?[\d.eE+-]+)", log_text, re.MULTILINE)
    return float(match.group(1)) if match else None


def lp_bound(scenario: Scenario) -> float | None:
    """Objective of the LP relaxation: a valid lower bound on litres."""
    model = build(scenario, relax=True)
    model.prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if model.prob.status != pulp.LpStatusOptimal:
        return None
    return float(pulp.value(model.prob.objective) or 0.0)


def solve_model(
    scenario: Scenario,
    model: Model,
    settings: SolverSettings,
    time_limit: float,
) -> Solution:
    """Solve a built model and read status, cycles, objective, best bound and gap."""
    with tempfile.TemporaryDirectory(prefix="fuelopt-cbc-") as tmp:
        log_path = Path(tmp) / "cbc.log" if settings.name == "cbc" else None
        start = time.perf_counter()
        model.prob.solve(_solver(settings, time_limit, log_path))
        seconds = time.perf_counter() - start
        log_text = log_path.read_text() if log_path and log_path.exists() else ""

    sol_status = model.prob.sol_status
    if sol_status == pulp.LpSolutionOptimal:
        status = "optimal"
    elif sol_status == pulp.LpSolutionIntegerFeasible:
        status = "feasible"
    else:
        status = "infeasible"
    solution = Solution(
        status=status,
        solve_seconds=seconds,
        solver_status=f"{pulp.LpStatus[model.prob.status]}/{pulp.LpSolution[sol_status]}",
    )
    if status == "infeasible":
        return solution
    solution.cycles = {
        k: round(v.value()) for k, v in model.n.items() if v.value() and round(v.value()) > 0
    }
    solution.shortfall_t = {
        s: float(v.value() or 0.0) for s, v in model.shortfall.items() if (v.value() or 0) > 1e-6
    }
    solution.objective = total_litres(scenario, solution.cycles)
    if settings.name == "highs" and getattr(model.prob, "solverModel", None) is not None:
        info = model.prob.solverModel.getInfo()
        solution.bound = float(info.mip_dual_bound) if info.mip_node_count >= 0 else None
    else:
        solution.bound = _cbc_bound(log_text)
        if solution.bound is None and "gap tolerance" not in log_text and status == "optimal":
            solution.bound = solution.objective  # proven optimal: no gap
    return solution


def gap_pct(objective: float, bound: float | None) -> float | None:
    """Relative gap in per cent between incumbent and best bound (0 when both are 0)."""
    if bound is None:
        return None
    if objective <= 0:
        return 0.0
    return max(0.0, (objective - bound) / objective * 100.0)


def litres(scenario: Scenario, cycles: dict[tuple[int, int], int]) -> float:
    return sum(
        scenario.routes[ri].fuel_l_per_cycle[scenario.trucks[ti].model] * c
        for (ti, ri), c in cycles.items()
    )


def total_litres(scenario: Scenario, cycles: dict[tuple[int, int], int]) -> float:
    """Litres with the predicted extra queue's idle litres (the MILP's objective)."""
    return litres(scenario, cycles) + queueing.predicted(scenario, cycles)["extra_fuel_l"]


def solve(
    scenario: Scenario,
    settings: SolverSettings,
    time_limit: float | None = None,
    start: dict[tuple[int, int], int] | None = None,
) -> Solution:
    """Minimise litres; gap from the solver's best bound, else from the LP relaxation.

    ``start`` is a feasible plan (the greedy dispatcher's when it reaches the targets): the result
    is never worse than it. It is not given to CBC as a MIP start: measured on the bench, CBC then
    tends to keep it as its incumbent until the time limit (its primal heuristics stay idle)."""
    limit = time_limit if time_limit is not None else settings.time_limit_seconds
    began = time.perf_counter()
    candidates = [("greedy", start)] if start else []
    solution = solve_model(scenario, build(scenario), settings, limit)
    for name, cycles in candidates:
        if scenario.queue and not queueing.fits(scenario, cycles):
            continue
        better = solution.status == "infeasible" or (
            total_litres(scenario, cycles) < solution.objective - 1e-9
        )
        if better:
            log.info("the %s plan beats the solver's incumbent: kept", name)
            if solution.status == "infeasible":
                solution.status = "feasible"
                solution.bound = None
            solution.cycles = dict(cycles)
            solution.objective = total_litres(scenario, cycles)
            solution.incumbent = name
    solution.solve_seconds = time.perf_counter() - began
    if solution.status != "infeasible":
        if solution.bound is None:
            solution.bound = lp_bound(scenario)
            solution.bound_source = "lp_relaxation"
        solution.gap_pct = gap_pct(solution.objective or 0.0, solution.bound)
    log.info(
        "MILP %s: %s litres, gap %s %%, %.2f s",
        solution.status,
        solution.objective,
        solution.gap_pct,
        solution.solve_seconds,
    )
    return solution
