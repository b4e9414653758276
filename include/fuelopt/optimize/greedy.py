"""Greedy dispatch baseline: what a dispatcher does without an optimiser.

Rule (documented in docs/runbooks/optimize_fleet.md):
1. Trucks are dispatched in line-up order (scenario order).
2. Each truck goes to the shovel, among those accepting its model and with a usable route, with
   the largest remaining target tonnes (ties: scenario order); a truck no shovel needs idles.
3. At that shovel it runs the nearest dump first (shortest cycle for its model), then the next,
   doing only the cycles still needed: ``ceil(remaining target / payload)``, within its hours,
   the shovel's remaining loads and the dump's remaining capacity.
4. A second pass sends trucks that still have hours to shovels still short of target (same
   rule: if the truck already works at a shovel, only that shovel).
Fuel is never looked at: that is the point of the baseline.
"""

from __future__ import annotations

import math

from fuelopt.optimize.milp import EPS, max_cycles
from fuelopt.optimize.scenario import Scenario


def greedy(scenario: Scenario) -> dict[tuple[int, int], int]:
    """Cycles per (truck index, route index) of the greedy dispatcher."""
    remaining = {s.id: s.target_t for s in scenario.shovels}
    loads_left = {s.id: math.floor(scenario.max_loads(s) + EPS) for s in scenario.shovels}
    dump_left = {d.id: d.capacity_t for d in scenario.dumps}
    hours_left = {ti: t.available_h for ti, t in enumerate(scenario.trucks)}
    at: dict[int, str] = {}
    cycles: dict[tuple[int, int], int] = {}

    def run(ti: int, shovel_id: str) -> None:
        truck = scenario.trucks[ti]
        routes = scenario.routes_for(truck, scenario.shovel(shovel_id))
        routes.sort(key=lambda ir: (ir[1].cycle_h[truck.model], ir[0]))
        for ri, route in routes:
            need = math.ceil(remaining[shovel_id] / truck.payload_t - EPS)
            if need <= 0:
                break
            n = min(
                need,
                max_cycles(hours_left[ti], route.cycle_h[truck.model]),
                loads_left[shovel_id],
                math.floor(dump_left[route.dump] / truck.payload_t + EPS),
            )
            if n <= 0:
                continue
            at[ti] = shovel_id
            cycles[ti, ri] = cycles.get((ti, ri), 0) + n
            hours_left[ti] -= n * route.cycle_h[truck.model]
            remaining[shovel_id] -= n * truck.payload_t
            loads_left[shovel_id] -= n
            dump_left[route.dump] -= n * truck.payload_t

    for _ in range(2):
        for ti, truck in enumerate(scenario.trucks):
            options = [
                s
                for s in scenario.shovels
                if remaining[s.id] > EPS
                and loads_left[s.id] > 0
                and (ti not in at or at[ti] == s.id)
                and scenario.routes_for(truck, s)
            ]
            if not options:
                continue
            best = max(options, key=lambda s: remaining[s.id])
            run(ti, best.id)
    return cycles


def shortfall(scenario: Scenario, cycles: dict[tuple[int, int], int]) -> dict[str, float]:
    """Tonnes short of target per shovel (only shovels that are short)."""
    got = {s.id: 0.0 for s in scenario.shovels}
    for (ti, ri), n in cycles.items():
        got[scenario.routes[ri].shovel] += n * scenario.trucks[ti].payload_t
    return {s.id: s.target_t - got[s.id] for s in scenario.shovels if got[s.id] < s.target_t - 1e-6}
