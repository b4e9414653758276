"""True size of each fuel-saving lever in the simulated mine (truth.json ``levers``).

Each lever is defined as marts.fct_fuel_savings estimates it (docs/contracts.md), but computed
from the simulation's noise-free phases: what the generator burned, not what the data shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from fuelopt.config import get_settings
from fuelopt.quality.settings import FuelSettings
from fuelopt.synth.generate import SHIFT_MIN, DaySim, Mine
from fuelopt.synth.physics import PHASES, TRAVEL_PHASES, cycle_phases, phase_litres
from fuelopt.synth.settings import ROAD_CONDITIONS

QUEUE_PHASE = PHASES.index("queue")
LEVERS = (
    "idle_above_benchmark",
    "queuing",
    "under_loading",
    "road_condition",
    "truck_excess",
    "operator",
)


def _cell_index(mine: Mine, sim: DaySim) -> tuple[np.ndarray, np.ndarray]:
    """Truck-shift row and cycle slot of each row of ``sim.cycles`` (from its cycle id)."""
    n = len(sim.active)
    position = {t: i for i, t in enumerate(mine.truck_ids[sim.active])}
    parts = sim.cycles["cycle_id"].str.split("-")
    tag = parts.str[-1]
    shift = (tag.str[0] == "N").to_numpy(dtype=int)
    slot = tag.str[1:].astype(int).to_numpy() - 1
    row = shift * n + parts.str[0].map(position).to_numpy(dtype=int)
    return row, slot


def _idle_above(mine: Mine, sim: DaySim, benchmark_min: float) -> np.ndarray:
    """Per truck-shift: litres idled beyond ``benchmark_min`` (shift change plus the tail)."""
    p, ops = mine.cfg.physics, mine.cfg.operations
    n = len(sim.active)
    shift_start = np.repeat([0.0, SHIFT_MIN], n)
    idle_min = np.where(
        sim.down, 0.0, ops.shift_change_min + shift_start + SHIFT_MIN - sim.tail_start
    )
    rated_kw = mine.rated_kw[np.tile(sim.active, 2)]
    rate_l_min = p.specific_consumption_l_per_kwh * rated_kw * p.idle_load_frac * sim.factor / 60.0
    return np.clip(idle_min - benchmark_min, 0.0, None) * rate_l_min


def _road_penalty(mine: Mine, sim: DaySim) -> np.ndarray:
    """Per cycle of ``sim.cycles``: travel litres on its road minus the same on a good road."""
    p = mine.cfg.physics
    cyc = sim.cycles
    row, _ = _cell_index(mine, sim)
    truck = np.tile(sim.active, 2)[row]
    rr_table = {c: p.rolling_resistance[c] for c in ROAD_CONDITIONS}
    degraded = mine.spec.scenario_active("road_degradation", sim.day)
    extra = mine.cfg.scenarios.road_degradation_rr_add if degraded else 0.0
    rr = cyc["road_condition"].map(rr_table).to_numpy(dtype=float) + extra
    common = {
        "rated_kw": mine.rated_kw[truck],
        "empty_t": mine.empty_t[truck],
        "payload_t": cyc["payload_t"].to_numpy(dtype=float),
        "loaded_km": cyc["loaded_distance_km"].to_numpy(dtype=float),
        "empty_km": cyc["empty_distance_km"].to_numpy(dtype=float),
        "rise_m": cyc["rise_m"].to_numpy(dtype=float),
        "fall_m": cyc["fall_m"].to_numpy(dtype=float),
        "queue_min": 0.0,
        "load_min": 0.0,
        "dump_min": 0.0,
        "p": p,
    }
    sfc, factor = p.specific_consumption_l_per_kwh, sim.factor[row]
    travel = list(TRAVEL_PHASES)
    actual = phase_litres(cycle_phases(rr=rr, **common), sfc, factor)[:, travel].sum(1)
    good = phase_litres(cycle_phases(rr=np.full_like(rr, rr_table["good"]), **common), sfc, factor)
    return actual - good[:, travel].sum(1)


def _queue_litres(mine: Mine, sim: DaySim) -> float:
    """Litres burned queuing by the cycles the trucks completed."""
    p = mine.cfg.physics
    j, k = np.nonzero(sim.keep)
    litres = sim.engine_kw[j, k, QUEUE_PHASE] * sim.minutes[j, k, QUEUE_PHASE] / 60.0
    return float((p.specific_consumption_l_per_kwh * litres * sim.factor[j]).sum())


def _under_loading(mine: Mine, sim: DaySim, target_frac: float) -> float:
    """Noise-free cycle litres x (1 - payload / target) over cycles below the payload target."""
    row, _ = _cell_index(mine, sim)
    target = mine.rated_payload[np.tile(sim.active, 2)[row]] * target_frac
    payload = sim.cycles["payload_t"].to_numpy(dtype=float)
    litres = sim.cycles["fuel_l_expected"].to_numpy(dtype=float)
    return float((litres * np.clip(1.0 - payload / target, 0.0, None)).sum())


def _truck_excess(mine: Mine, sim: DaySim) -> pd.Series:
    """Per truck: noise-free cycle litres above the same cycles on a sound engine (worn only)."""
    excess = pd.Series(mine.worn_excess, index=mine.truck_ids)
    share = sim.cycles["truck_id"].map(excess / (1.0 + excess))
    return (sim.cycles["fuel_l_expected"] * share).groupby(sim.cycles["truck_id"]).sum()


def _operator_cycles(mine: Mine, sim: DaySim) -> pd.DataFrame:
    """Per cycle of ``sim.cycles``: its operator, the operator's fuel factor, noise-free litres."""
    truck = pd.Series(np.arange(len(mine.truck_ids)), index=mine.truck_ids)
    crew = sim.cycles["operator_id"].str.rsplit("-", n=1).str[-1].astype(int).to_numpy() - 1
    factor = mine.operator_factor[sim.cycles["truck_id"].map(truck).to_numpy(dtype=int), crew]
    return pd.DataFrame(
        {
            "truck_id": sim.cycles["truck_id"].to_numpy(),
            "operator_id": sim.cycles["operator_id"].to_numpy(),
            "factor": factor,
            "litres": sim.cycles["fuel_l_expected"].to_numpy(dtype=float),
        }
    )


def operator_saving(cycles: pd.DataFrame, benchmark_pct: float, min_cycles: int) -> dict:
    """The operator lever from the generator's own operator factors, defined as the mart
    estimates it: an operator's efficiency is its factor over its truck's (the truck's litres
    over the same litres without the operators: the mean factor of the truck's crews, weighted
    by their litres), so the truck's own level (engine, wear, its crews' mean) is removed, as
    the mart removes it by dividing by the truck's ratio. Operators with at least ``min_cycles``
    cycles; the ``benchmark_pct`` percentile (linear) of their efficiencies is the benchmark;
    an operator above it saves noise-free litres x (1 - benchmark / efficiency) per cycle."""
    unit = cycles["litres"] / cycles["factor"]  # the litres without the operator effect
    truck = (
        cycles["litres"].groupby(cycles["truck_id"]).sum() / unit.groupby(cycles["truck_id"]).sum()
    )
    efficiency = cycles["factor"] / cycles["truck_id"].map(truck)
    cycles = cycles.assign(efficiency=efficiency)
    per_op = cycles.groupby(["truck_id", "operator_id"]).agg(
        efficiency=("efficiency", "first"), n=("efficiency", "size")
    )
    eligible = per_op[per_op["n"] >= min_cycles]
    if eligible.empty:
        return {"benchmark_efficiency": None, "litres": 0.0, "by_operator": {}}
    benchmark = float(np.percentile(eligible["efficiency"], benchmark_pct))
    above = {o for _, o in eligible.index[eligible["efficiency"] > benchmark]}
    rows = cycles[cycles["operator_id"].isin(above)]
    saving = rows["litres"] * (1.0 - benchmark / rows["efficiency"])
    by_operator = saving.groupby(rows["operator_id"]).sum()
    return {
        "benchmark_efficiency": benchmark,
        "litres": float(saving.sum()),
        "by_operator": {str(k): float(v) for k, v in by_operator.sort_index().items()},
    }


def lever_truth(
    mine: Mine, fuel: FuelSettings | None = None, days: Iterable[int] | None = None
) -> dict[str, Any]:
    """Each lever's true litres over the mine's days (or ``days``, e.g. the days a champion
    scored); road_condition also per shovel→dump route."""
    fuel = fuel or get_settings().quality.fuel
    totals = dict.fromkeys(LEVERS, 0.0)
    routes: list[pd.DataFrame] = []
    trucks = pd.Series(0.0, index=mine.truck_ids)
    operator_cycles: list[pd.DataFrame] = []
    for day in range(mine.spec.days) if days is None else days:
        sim = mine.simulate_day(day)
        totals["idle_above_benchmark"] += float(
            _idle_above(mine, sim, fuel.idle_benchmark_min).sum()
        )
        totals["queuing"] += _queue_litres(mine, sim)
        totals["under_loading"] += _under_loading(mine, sim, fuel.underload_target_frac)
        penalty = _road_penalty(mine, sim)
        totals["road_condition"] += float(penalty.sum())
        routes.append(sim.cycles[["shovel_id", "dump_id"]].assign(litres=penalty))
        trucks = trucks.add(_truck_excess(mine, sim), fill_value=0.0)
        operator_cycles.append(_operator_cycles(mine, sim))
    totals["truck_excess"] = float(trucks.sum())
    operators = operator_saving(
        pd.concat(operator_cycles, ignore_index=True),
        fuel.operator_benchmark_pct,
        fuel.operator_min_cycles,
    )
    totals["operator"] = operators["litres"]
    by_route = (
        pd.concat(routes, ignore_index=True)
        .groupby(["shovel_id", "dump_id"], as_index=False)["litres"]
        .sum()
        .sort_values(["litres", "shovel_id", "dump_id"], ascending=[False, True, True])
    )
    return {
        "definitions": "as marts.fct_fuel_savings (docs/contracts.md), from noise-free phases",
        "idle_benchmark_min": fuel.idle_benchmark_min,
        "underload_target_frac": fuel.underload_target_frac,
        "operator_benchmark_pct": fuel.operator_benchmark_pct,
        "operator_min_cycles": fuel.operator_min_cycles,
        "operator_benchmark_efficiency": operators["benchmark_efficiency"],
        "litres": totals,
        "road_condition_by_route": by_route.to_dict(orient="records"),
        "truck_excess_by_truck": [
            {"truck_id": str(t), "worn_engine_excess": float(x), "litres": float(trucks[t])}
            for t, x in zip(mine.truck_ids, mine.worn_excess, strict=True)
            if x > 0
        ],
        "operator_by_operator": operators["by_operator"],
    }
