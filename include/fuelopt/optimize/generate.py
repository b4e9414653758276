"""Generated scenarios for the scaling bench and the property tests (deterministic per seed).

A pit of shovels and dumps on a plane; three truck models (docs/domain.md rated figures); cycle
hours from distance and model speed; litres per cycle from model power x hours x load factor with
a per model-route factor (road, grade, operator: docs/domain.md says operators alone differ by
10-12 %). Big shovels load only big trucks. Targets are a share of what the fleet can move.
"""

from __future__ import annotations

import math
import random
from typing import Any

# model: (payload t, rated kW, loaded speed km/h)  -- docs/domain.md#rated-truck-figures
MODELS = {
    "CAT 793F": (227.0, 1800.0, 24.0),
    "Komatsu 930E": (290.0, 2000.0, 22.0),
    "CAT 785D": (136.0, 1000.0, 27.0),
}
LOAD_DUMP_H = 0.08
L_PER_KWH = 0.25


def scenario_dict(
    trucks: int,
    shovels: int,
    dumps: int,
    *,
    seed: int,
    target_utilisation: float = 0.8,
    shift_hours: float = 12.0,
) -> dict[str, Any]:
    """A scenario document (docs/contracts.md §4) of the given size."""
    rng = random.Random(f"{seed}-{trucks}-{shovels}-{dumps}")
    names = list(MODELS)
    fleet = []
    for i in range(trucks):
        model = rng.choices(names, weights=[0.5, 0.3, 0.2])[0]
        fleet.append(
            {
                "id": f"T{i + 1:03d}",
                "model": model,
                "payload_t": MODELS[model][0],
                "available_h": round(shift_hours * rng.uniform(0.75, 0.92), 2),
            }
        )
    shovel_xy = [(rng.uniform(0, 4), rng.uniform(0, 4)) for _ in range(shovels)]
    dump_xy = [(rng.uniform(-2, 6), rng.uniform(-2, 6)) for _ in range(dumps)]
    routes = []
    for si, (sx, sy) in enumerate(shovel_xy):
        for di, (dx, dy) in enumerate(dump_xy):
            km = math.hypot(sx - dx, sy - dy) * 1.4 + 0.8
            rise = rng.uniform(40, 180)
            cycle_h, fuel = {}, {}
            for model, (_, kw, speed) in MODELS.items():
                hours = LOAD_DUMP_H + km / speed + km / (speed * 1.5) + rise / 1000
                load_factor = 0.45 + 0.15 * rise / 180
                route_factor = rng.uniform(0.85, 1.15)
                cycle_h[model] = round(hours, 4)
                fuel[model] = round(L_PER_KWH * kw * load_factor * hours * route_factor, 2)
            routes.append(
                {
                    "shovel": f"S{si + 1:02d}",
                    "dump": f"D{di + 1}",
                    "cycle_h": cycle_h,
                    "fuel_l_per_cycle": fuel,
                }
            )
    # What the fleet could move on an average route, shared among shovels at random.
    capacity = 0.0
    for t in fleet:
        mean_h = sum(r["cycle_h"][t["model"]] for r in routes) / len(routes)
        capacity += math.floor(t["available_h"] / mean_h) * t["payload_t"]
    weights = [rng.uniform(0.6, 1.4) for _ in range(shovels)]
    total = target_utilisation * capacity
    shovel_docs = []
    for si in range(shovels):
        big = rng.random() < 0.3
        accepted = ["CAT 793F", "Komatsu 930E"] if big else ["CAT 793F", "CAT 785D", "Komatsu 930E"]
        target = round(total * weights[si] / sum(weights), -2)
        loads_per_h = max(10.0, math.ceil(1.3 * target / 200.0 / shift_hours))
        shovel_docs.append(
            {
                "id": f"S{si + 1:02d}",
                "target_t": target,
                "max_loads_per_h": loads_per_h,
                "truck_models": accepted,
            }
        )
    dump_docs = [
        {"id": f"D{di + 1}", "capacity_t": round(1.6 * total / dumps, -3)} for di in range(dumps)
    ]
    return {
        "shift_hours": shift_hours,
        "trucks": fleet,
        "shovels": shovel_docs,
        "dumps": dump_docs,
        "routes": routes,
    }
