"""Solve a scenario and score it against the greedy baseline: the plan of docs/contracts.md §4.

Saving against the baseline: when the greedy dispatcher reaches every target,
``saving_pct = (baseline_fuel_l - objective_fuel_l) / baseline_fuel_l x 100`` (basis ``litres``).
When it cannot, its litres move fewer tonnes and are not comparable: the saving is then on
litres per tonne moved (basis ``litres_per_tonne``) and ``baseline.reaches_targets`` is false
with the shortfall per shovel.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fuelopt.optimize import diagnose, greedy, milp, queueing
from fuelopt.optimize.scenario import Scenario
from fuelopt.optimize.settings import SolverSettings
from fuelopt.optimize.validate import check_plan

if TYPE_CHECKING:
    from fuelopt.reports.settings import ReportSettings

log = logging.getLogger(__name__)


def assignments(scenario: Scenario, cycles: dict[tuple[int, int], int]) -> list[dict[str, Any]]:
    """Plan rows (truck, shovel, dump, cycles, litres, hours; predicted queue minutes with a
    queue model) in scenario order."""
    queue = queueing.predicted(scenario, cycles)["queue_min"] if scenario.queue else {}
    rows = []
    for (ti, ri), n in sorted(cycles.items()):
        if n <= 0:
            continue
        truck, route = scenario.trucks[ti], scenario.routes[ri]
        rows.append(
            {
                "truck": truck.id,
                "shovel": route.shovel,
                "dump": route.dump,
                "cycles": int(n),
                "fuel_l": n * route.fuel_l_per_cycle[truck.model],
                "hours": round(n * route.cycle_h[truck.model], 6),
                "tonnes": n * truck.payload_t,
                **({"queue_min": round(queue[ti, ri], 3)} if scenario.queue else {}),
            }
        )
    return rows


def queue_figures(scenario: Scenario, cycles: dict[tuple[int, int], int], litres: float) -> dict:
    """Predicted queue minutes and litres with the extra queue (empty without a queue model)."""
    if not scenario.queue:
        return {}
    pred = queueing.predicted(scenario, cycles)
    return {
        "queue_min": round(sum(pred["queue_min"].values()), 3),
        "predicted_fuel_l": round(litres + pred["extra_fuel_l"], 6),
    }


def _litres(rows: list[dict[str, Any]]) -> float:
    return float(sum(r["fuel_l"] for r in rows))


def _tonnes(rows: list[dict[str, Any]]) -> float:
    return float(sum(r["tonnes"] for r in rows))


def baseline(scenario: Scenario, tol: float) -> dict[str, Any]:
    """The greedy dispatcher's plan, validated (targets aside), with its litres and tonnes."""
    cycles = greedy.greedy(scenario)
    rows = assignments(scenario, cycles)
    short = greedy.shortfall(scenario, cycles)
    doc = {"status": "feasible", "objective_fuel_l": _litres(rows), "assignments": rows}
    check_plan(scenario, doc, tol=tol, require_targets=False)
    return {
        "fuel_l": _litres(rows),
        "tonnes": _tonnes(rows),
        **queue_figures(scenario, cycles, _litres(rows)),
        "reaches_targets": not short,
        "shortfall_t": {k: round(v, 3) for k, v in short.items()},
        "assignments": rows,
        "cycles": cycles,
    }


def comparable_baseline(tonnes: float, base: dict[str, Any]) -> tuple[float | None, str]:
    """The baseline's litres the plan is compared with, and the basis (see module doc): its
    litres when it reaches every target, else its litres per tonne times the plan's tonnes."""
    if base["reaches_targets"]:
        return base["fuel_l"], "litres"
    if base["tonnes"] <= 0 or tonnes <= 0 or base["fuel_l"] <= 0:
        return None, "litres_per_tonne"
    return base["fuel_l"] / base["tonnes"] * tonnes, "litres_per_tonne"


def saving(objective: float, tonnes: float, base: dict[str, Any]) -> tuple[float | None, str]:
    """Saving in per cent against the baseline and its basis (see module doc)."""
    litres, basis = comparable_baseline(tonnes, base)
    if litres is None:
        return None, basis
    if litres <= 0:
        return (0.0 if objective <= 0 else None), basis
    return (litres - objective) / litres * 100.0, basis


def price(plan: dict[str, Any], cfg: ReportSettings) -> dict[str, Any]:
    """``plan["cost"]``: the plan's litres and its saving against the greedy dispatcher in money
    (``cfg.diesel_price_per_l``, ``cfg.currency``) and CO2 (``cfg.co2_kg_per_l``)."""
    litres, saved = plan.get("objective_fuel_l"), plan.get("saving_l")

    def times(value: float | None, factor: float) -> float | None:
        return None if value is None else round(value * factor, 3)

    plan["cost"] = {
        "currency": cfg.currency,
        "diesel_price_per_l": cfg.diesel_price_per_l,
        "co2_kg_per_l": cfg.co2_kg_per_l,
        "plan_cost": times(litres, cfg.diesel_price_per_l),
        "plan_co2_kg": times(litres, cfg.co2_kg_per_l),
        "saving_cost": times(saved, cfg.diesel_price_per_l),
        "saving_co2_kg": times(saved, cfg.co2_kg_per_l),
    }
    return plan


def optimize(
    scenario: Scenario, settings: SolverSettings, time_limit: float | None = None
) -> dict[str, Any]:
    """The plan document: MILP solution (validated), baseline, saving, gap, timing."""
    limit = time_limit if time_limit is not None else settings.time_limit_seconds
    base = baseline(scenario, settings.tolerance)
    start = base["cycles"] if base["reaches_targets"] else None
    solution = milp.solve(scenario, settings, limit, start=start)
    del base["cycles"]
    plan: dict[str, Any] = {
        "status": solution.status,
        "objective_fuel_l": None,
        "assignments": [],
        "baseline_fuel_l": base["fuel_l"],
        "saving_pct": None,
        "saving_l": None,
        "gap_pct": None,
        "solve_seconds": round(solution.solve_seconds, 3),
    }
    if solution.status == "infeasible":
        diagnosis = diagnose.explain(scenario, settings, limit)
        if diagnosis.cycles is not None:
            log.warning("%s: using the feasibility phase's plan", diagnosis.reason)
            solution.status = "feasible"
            solution.cycles = diagnosis.cycles
            solution.objective = milp.litres(scenario, diagnosis.cycles)
            solution.bound = milp.lp_bound(scenario)
            solution.bound_source = "lp_relaxation"
            solution.incumbent = "feasibility_phase"
            solution.gap_pct = milp.gap_pct(solution.objective, solution.bound)
            plan["status"] = "feasible"
            plan["note"] = diagnosis.reason
        else:
            plan["reason"] = diagnosis.reason
            plan["idle_trucks"] = [t.id for t in scenario.trucks]
    if solution.status != "infeasible":
        rows = assignments(scenario, solution.cycles)
        tonnes = _tonnes(rows)
        plan["objective_fuel_l"] = _litres(rows)
        plan["assignments"] = rows
        pct, basis = saving(plan["objective_fuel_l"], tonnes, base)
        compared, _ = comparable_baseline(tonnes, base)
        plan["saving_pct"] = None if pct is None else round(pct, 4)
        if compared is not None:
            plan["saving_l"] = round(compared - plan["objective_fuel_l"], 6)
        plan["saving_basis"] = basis
        plan["gap_pct"] = None if solution.gap_pct is None else round(solution.gap_pct, 4)
        plan["best_bound_fuel_l"] = solution.bound
        plan["gap_source"] = solution.bound_source
        used = {r["truck"] for r in rows}
        plan["idle_trucks"] = [t.id for t in scenario.trucks if t.id not in used]
        plan["tonnes"] = tonnes
        plan.update(queue_figures(scenario, solution.cycles, plan["objective_fuel_l"]))
    plan["solver"] = {
        "name": settings.name,
        "status": solution.solver_status,
        "incumbent_from": solution.incumbent,
        "time_limit_seconds": limit,
        "gap_rel": settings.gap_rel,
        "threads": settings.threads,
    }
    plan["baseline"] = {
        "rule": "greedy: largest remaining target first, nearest dump first (see greedy.py)",
        **base,
    }
    check_plan(scenario, plan, tol=settings.tolerance)
    return plan
