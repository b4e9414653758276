"""Queue at a shovel as a function of the trucks assigned to it (scenario field ``queue``).

A shovel loads one truck at a time: ``L = 60 / max_loads_per_h`` minutes per load. Its trucks
form a closed loop: each spends ``Z`` minutes away from the shovel (travel, dump; the median of
its routes' ``cycle_h - queue_h`` less ``L``) and then waits for the shovel. The expected wait
with ``m`` trucks comes from mean value analysis of that loop (Reiser and Lavenberg), with the
residual of a load in progress ``L (1 + cv²) / 2`` for a loading time of squared coefficient of
variation ``cv²`` (``load_cv2``)::

    R(m) = L (1 + Q(m-1) - U(m-1)) + U(m-1) L (1 + cv²) / 2     time at the shovel
    X(m) = m / (R(m) + Z)      Q(m) = X(m) R(m)      U(m) = X(m) L      wait W(m) = R(m) - L

A route's ``cycle_h`` already holds the historical queue ``queue_h``; the MILP adds the extra
queue ``max(0, W(m) - queue_h)`` per cycle to a truck's hours and its idle litres to the objective.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from fuelopt.optimize.scenario import Scenario


def mva_wait_h(load_h: float, think_h: float, cv2: float, trucks: int) -> list[float]:
    """Expected wait per cycle (hours) for 0..``trucks`` trucks at one shovel."""
    waits, queue, util = [0.0], 0.0, 0.0
    for m in range(1, trucks + 1):
        resp = load_h * (1.0 + queue - util) + util * load_h * (1.0 + cv2) / 2.0
        rate = m / (resp + think_h)
        queue, util = rate * resp, rate * load_h
        waits.append(max(0.0, resp - load_h))
    return waits


def shovel_waits(scenario: Scenario) -> dict[str, list[float]]:
    """Wait table (hours per cycle, index = trucks at the shovel) of every shovel."""
    q = scenario.queue
    if q is None:
        return {}
    out = {}
    for shovel in scenario.shovels:
        load_h = 1.0 / shovel.max_loads_per_h if shovel.max_loads_per_h > 0 else 0.0
        base = [
            h - r.queue_h.get(m, 0.0)
            for r in scenario.routes
            if r.shovel == shovel.id
            for m, h in r.cycle_h.items()
        ]
        think_h = max(0.0, (median(base) if base else 0.0) - load_h)
        out[shovel.id] = mva_wait_h(load_h, think_h, q.load_cv2, q.max_trucks_per_shovel)
    return out


def extra_h(
    scenario: Scenario, waits: dict[str, list[float]], ri: int, model: str, m: int
) -> float:
    """Queue hours per cycle beyond the route's historical ``queue_h`` with ``m`` trucks."""
    route = scenario.routes[ri]
    table = waits[route.shovel]
    return max(0.0, table[min(m, len(table) - 1)] - route.queue_h.get(model, 0.0))


def predicted(scenario: Scenario, cycles: dict[tuple[int, int], int]) -> dict[str, object]:
    """Predicted queue of a plan: minutes per (truck, route), extra hours per truck, litres."""
    waits = shovel_waits(scenario)
    if not waits:
        return {"queue_min": {}, "extra_h": {}, "extra_fuel_l": 0.0}
    at: dict[str, set[int]] = defaultdict(set)
    for (ti, ri), n in cycles.items():
        if n > 0:
            at[scenario.routes[ri].shovel].add(ti)
    queue_min, extra, extra_l = {}, defaultdict(float), 0.0
    for (ti, ri), n in cycles.items():
        route, model = scenario.routes[ri], scenario.trucks[ti].model
        m = len(at[route.shovel])
        table = waits[route.shovel]
        wait = table[min(m, len(table) - 1)]
        queue_min[ti, ri] = n * max(wait, route.queue_h.get(model, 0.0)) * 60.0
        hours = n * extra_h(scenario, waits, ri, model, m)
        extra[ti] += hours
        extra_l += hours * scenario.queue.idle_l_per_h
    return {"queue_min": queue_min, "extra_h": dict(extra), "extra_fuel_l": extra_l}


def fits(scenario: Scenario, cycles: dict[tuple[int, int], int], tol: float = 1e-6) -> bool:
    """Whether every truck's hours, with the predicted extra queue, fit its available hours."""
    extra = predicted(scenario, cycles)["extra_h"]
    hours: dict[int, float] = defaultdict(float)
    for (ti, ri), n in cycles.items():
        hours[ti] += n * scenario.routes[ri].cycle_h[scenario.trucks[ti].model]
    return all(
        h + extra.get(ti, 0.0) <= scenario.trucks[ti].available_h + tol for ti, h in hours.items()
    )
