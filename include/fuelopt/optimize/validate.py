"""Plan validator: recomputes every constraint of docs/contracts.md §4 from plan and scenario."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fuelopt.optimize.scenario import Scenario

STATUSES = ("optimal", "feasible", "infeasible")


class InvalidPlan(ValueError):
    """A plan breaks the scenario's constraints; the message lists every violation."""


def plan_violations(
    scenario: Scenario,
    plan: dict[str, Any],
    *,
    tol: float = 1e-6,
    require_targets: bool = True,
) -> list[str]:
    """Every broken rule, as readable lines; empty when the plan is valid.

    ``require_targets=False`` checks everything but the shovel targets (used for a greedy
    baseline that could not reach them)."""
    if not isinstance(plan, dict):
        return [f"plan: must be a JSON object, got {_json_type(plan)}"]
    errors: list[str] = []
    status = plan.get("status")
    if status not in STATUSES:
        return [f"status: {status!r} is not one of {', '.join(STATUSES)}"]
    assignments = plan.get("assignments")
    if not isinstance(assignments, list):
        return ["assignments: must be a list"]
    if status == "infeasible":
        if not plan.get("reason"):
            errors.append("reason: an infeasible plan must say why")
        if assignments:
            errors.append("assignments: an infeasible plan must not assign trucks")
        return errors

    trucks = {t.id: t for t in scenario.trucks}
    shovels = {s.id: s for s in scenario.shovels}
    dumps = {d.id: d for d in scenario.dumps}
    routes = {(r.shovel, r.dump): r for r in scenario.routes}
    truck_shovel: dict[str, str] = {}
    hours: dict[str, float] = defaultdict(float)
    tonnes: dict[str, float] = defaultdict(float)
    loads: dict[str, int] = defaultdict(int)
    dump_t: dict[str, float] = defaultdict(float)
    seen: set[tuple[str, str, str]] = set()
    litres = 0.0
    for i, a in enumerate(assignments):
        where = f"assignments[{i}]"
        if not isinstance(a, dict):
            errors.append(f"{where}: must be an object")
            continue
        tid, sid, did, n = a.get("truck"), a.get("shovel"), a.get("dump"), a.get("cycles")
        where = f"assignments[{i}] (truck {tid})"
        if tid not in trucks:
            errors.append(f"{where}: unknown truck")
            continue
        if sid not in shovels:
            errors.append(f"{where}: unknown shovel {sid}")
            continue
        if did not in dumps:
            errors.append(f"{where}: unknown dump {did}")
            continue
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            errors.append(f"{where}: cycles must be a non-negative integer, got {n!r}")
            continue
        if (tid, sid, did) in seen:
            errors.append(f"{where}: duplicate assignment to {sid}->{did}")
        seen.add((tid, sid, did))
        truck = trucks[tid]
        if truck_shovel.setdefault(tid, sid) != sid:
            errors.append(f"{where}: works at {truck_shovel[tid]} and {sid} (one shovel a shift)")
        if truck.model not in shovels[sid].truck_models:
            errors.append(f"{where}: shovel {sid} does not accept model {truck.model}")
        route = routes.get((sid, did))
        if route is None:
            errors.append(f"{where}: no route {sid}->{did}")
            continue
        if not route.usable_by(truck.model):
            errors.append(f"{where}: model {truck.model} cannot use route {sid}->{did}")
            continue
        hours[tid] += n * route.cycle_h[truck.model]
        tonnes[sid] += n * truck.payload_t
        loads[sid] += n
        dump_t[did] += n * truck.payload_t
        litres += n * route.fuel_l_per_cycle[truck.model]

    for tid, h in hours.items():
        if h > trucks[tid].available_h + tol:
            errors.append(
                f"truck {tid}: {h:.4f} h of cycles > available {trucks[tid].available_h} h"
            )
    for s in scenario.shovels:
        if require_targets and tonnes[s.id] < s.target_t - tol:
            errors.append(f"shovel {s.id}: {tonnes[s.id]:.1f} t < target {s.target_t} t")
        if loads[s.id] > scenario.max_loads(s) + tol:
            errors.append(
                f"shovel {s.id}: {loads[s.id]} loads > {scenario.max_loads(s):g} "
                "(max_loads_per_h x shift_hours)"
            )
    for d in scenario.dumps:
        if dump_t[d.id] > d.capacity_t + tol:
            errors.append(f"dump {d.id}: {dump_t[d.id]:.1f} t > capacity {d.capacity_t} t")
    objective = plan.get("objective_fuel_l")
    if not isinstance(objective, int | float) or abs(objective - litres) > max(
        1e-6, 1e-9 * abs(litres)
    ):
        errors.append(f"objective_fuel_l: {objective!r} but the assignments burn {litres:.6f} L")
    return errors


def check_plan(scenario: Scenario, plan: dict[str, Any], **kwargs: Any) -> None:
    """Raise :class:`InvalidPlan` listing every violation; return quietly when valid."""
    errors = plan_violations(scenario, plan, **kwargs)
    if errors:
        raise InvalidPlan("; ".join(errors))


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (``null``, ``array``, ...)."""
    names = {type(None): "null", list: "array", str: "string", bool: "boolean"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "object")
