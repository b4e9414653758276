"""A given plan executed in the synthetic mine, and the scenario of a shift from the mine's history.

Replay (``fuelopt synth replay``) runs one shift of the mine with the plan's assignments instead
of the mine's own dispatch. It uses the day's random draws of the history (road conditions,
breakdowns, payloads, distance jitter, loading and dumping minutes:
:func:`fuelopt.synth.generate.day_draws`, which :meth:`~fuelopt.synth.generate.Mine.simulate_day`
draws first), so that plans are compared on common
random numbers, and the mine's physics (:mod:`fuelopt.synth.physics`). The queue is not drawn: it
comes from the loading process. Each shovel loads one truck at a time, first come first served,
after its own delay before each load (spotting, face clean-up: the history's exponential queue
draw times ``synth.replay.shovel_delay_min_mean``); a truck arriving while the shovel serves
another waits, so the queue grows with the trucks assigned to the shovel. A truck runs its plan
rows in order (cycles on the first dump, then the next) and stops when its planned cycles are
done or the next cycle would end after the shift; a truck the mine has down that shift runs
nothing.

Scenario (``fuelopt synth scenario``): the mine's clean history of the lookback window, shaped as
the warehouse rows :func:`fuelopt.optimize.build.read_inputs` returns, goes through the same
:func:`fuelopt.optimize.build.build_scenario` as the DAG.
"""

from __future__ import annotations

import heapq
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from fuelopt.config import get_settings
from fuelopt.errors import BadInput
from fuelopt.optimize.build import CYCLE_COLUMNS, Shift, build_scenario, shift_of
from fuelopt.optimize.fuel import Predictor
from fuelopt.optimize.settings import OptimizeSettings
from fuelopt.synth.generate import (
    MAX_CYCLES_PER_SHIFT,
    SHIFT_MIN,
    SHIFTS,
    STREAM_OPS,
    Mine,
    day_draws,
    rng_for,
)
from fuelopt.synth.physics import cycle_phases, phase_litres
from fuelopt.synth.settings import ROAD_CONDITIONS
from fuelopt.synth.truck_models import TRUCK_MODELS


def day_index(mine: Mine, shift_date: date) -> int:
    """Day index of ``shift_date`` in the mine's window (BadInput outside it)."""
    day = (shift_date - mine.spec.start).days
    if not 0 <= day < mine.spec.days:
        last = mine.spec.start + timedelta(days=mine.spec.days - 1)
        raise BadInput(
            f"--shift-date: {shift_date} is outside the mine's {mine.spec.start}..{last}"
        )
    return day


def own_dispatch(mine: Mine, day: int, shift: str) -> dict[str, Any]:
    """The mine's own dispatch of a shift as a plan: every working truck hauls all shift, from
    the shovel :meth:`Mine.dispatch` gives it to that shovel's designated dump."""
    active = np.flatnonzero((mine.first_day <= day) & (day < mine.last_day))
    shovel = mine.dispatch(day, len(active), SHIFTS.index(shift))
    rows = [
        {
            "truck": str(mine.truck_ids[t]),
            "shovel": str(mine.shovel_ids[shovel[i]]),
            "dump": str(mine.dump_ids[mine.designated_dump[shovel[i]]]),
            "cycles": MAX_CYCLES_PER_SHIFT,
        }
        for i, t in enumerate(active)
    ]
    return {"status": "dispatch", "assignments": rows}


def _plan_rows(plan: Any) -> list[dict[str, Any]]:
    if not isinstance(plan, dict) or not isinstance(plan.get("assignments"), list):
        raise BadInput("--plan: not a plan: needs a list 'assignments' (docs/contracts.md §4)")
    rows = plan["assignments"]
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not all(k in row for k in ("truck", "shovel", "dump")):
            raise BadInput(f"--plan: assignments[{i}] needs truck, shovel and dump")
        cycles = row.get("cycles")
        if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 0:
            raise BadInput(f"--plan: assignments[{i}]: cycles must be a non-negative integer")
    return rows


def _index(ids: np.ndarray, value: str, what: str, i: int) -> int:
    hits = np.flatnonzero(ids == value)
    if not len(hits):
        raise BadInput(f"--plan: assignments[{i}]: unknown {what} {value!r} in this mine")
    return int(hits[0])


def replay(mine: Mine, day: int, shift: str, plan: Any) -> dict[str, Any]:
    """Run one shift with the plan's assignments; litres, tonnes and queue per plan row."""
    if shift not in SHIFTS:
        raise BadInput(f"--shift: {shift!r} is not one of day, night")
    rows = _plan_rows(plan)
    cfg, p = mine.cfg, mine.cfg.physics
    s_idx = SHIFTS.index(shift)
    draws = day_draws(mine, day, rng_for(mine.spec, STREAM_OPS, day))
    active = np.flatnonzero((mine.first_day <= day) & (day < mine.last_day))
    n, K = len(active), MAX_CYCLES_PER_SHIFT
    pos = {str(mine.truck_ids[t]): i for i, t in enumerate(active)}
    rr_table = np.array([p.rolling_resistance[c] for c in ROAD_CONDITIONS])
    degraded = mine.spec.scenario_active("road_degradation", day)
    rr = rr_table[draws.road] + (cfg.scenarios.road_degradation_rr_add if degraded else 0.0)

    # Each truck's cycle sequence: (plan row, shovel, dump) per cycle, in plan order.
    seqs: dict[str, list[tuple[int, int, int]]] = {}
    for i, row in enumerate(rows):
        truck = str(row["truck"])
        if truck not in pos:
            raise BadInput(f"--plan: assignments[{i}]: truck {truck!r} does not work that day")
        si = _index(mine.shovel_ids, str(row["shovel"]), "shovel", i)
        di = _index(mine.dump_ids, str(row["dump"]), "dump", i)
        seq = seqs.setdefault(truck, [])
        seq.extend([(i, si, di)] * min(int(row["cycles"]), K - len(seq)))

    # Phases of every planned cycle without queue (travel, load, dump do not depend on it).
    ts_list, k_list, sh_list, du_list, row_list = [], [], [], [], []
    for truck, seq in seqs.items():
        ts = s_idx * n + pos[truck]
        if draws.down[ts]:
            continue
        for k, (ri, si, di) in enumerate(seq):
            ts_list.append(ts), k_list.append(k), sh_list.append(si), du_list.append(di)
            row_list.append(ri)
    ts_a, k_a = np.array(ts_list, dtype=int), np.array(k_list, dtype=int)
    sh_a, du_a = np.array(sh_list, dtype=int), np.array(du_list, dtype=int)
    fleet = active[ts_a % n] if n else ts_a
    ph = cycle_phases(
        rated_kw=mine.rated_kw[fleet], empty_t=mine.empty_t[fleet],
        payload_t=draws.payload[ts_a, k_a],
        loaded_km=(mine.loaded_km[sh_a, du_a] * draws.jit_l[ts_a, k_a]).round(3),
        empty_km=(mine.empty_km[sh_a, du_a] * draws.jit_e[ts_a, k_a]).round(3),
        rise_m=mine.rise_m[sh_a, du_a], fall_m=mine.fall_m[sh_a, du_a], rr=rr[sh_a, du_a],
        queue_min=0.0, load_min=draws.load[ts_a, k_a], dump_min=draws.dump_min[ts_a, k_a], p=p,
    )  # fmt: skip
    delay = draws.delay[ts_a, k_a] * cfg.replay.shovel_delay_min_mean
    queue = _queue(ts_a, sh_a, ph.minutes, delay, s_idx, cfg.operations.shift_change_min)
    kept = np.isfinite(queue)
    ph.minutes[:, 3] = np.where(kept, queue, 0.0)
    ts_truck = np.tile(active, 2)
    crew = (2 * day + s_idx) % p.operators_per_truck
    factor = mine.fuel_factor(ts_truck, crew)[ts_a]
    litres = phase_litres(ph, p.specific_consumption_l_per_kwh, factor).sum(-1) * kept
    tonnes = draws.payload[ts_a, k_a] * kept
    down = {t for t in seqs if draws.down[s_idx * n + pos[t]]}
    out = _summary(rows, np.array(row_list, dtype=int), kept, litres, tonnes, ph.minutes[:, 3])
    for row in out["trucks"]:
        row["down"] = row["truck"] in down
    return out


def _queue(
    ts: np.ndarray,
    shovel: np.ndarray,
    minutes: np.ndarray,
    delay: np.ndarray,
    shift: int,
    change_min: float,
) -> np.ndarray:
    """Queue minutes of each cycle from first-come-first-served loading; inf when cut by the end.

    Cycles are in truck order with increasing k; a truck's cycle k+1 starts when k's dump ends."""
    start_min, end_min = shift * SHIFT_MIN + change_min, (shift + 1) * SHIFT_MIN
    to_shovel = minutes[:, :3].sum(1)
    load = minutes[:, 4]
    after_load = minutes[:, 5:].sum(1)
    queue = np.full(len(ts), np.inf)
    nxt = np.ones(len(ts), dtype=bool)
    nxt[:-1] = ts[1:] == ts[:-1]  # whether the next row is the same truck's next cycle
    nxt[-1:] = False
    firsts = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]]) if len(ts) else []
    heap = [(start_min + to_shovel[j], int(j)) for j in firsts]
    heapq.heapify(heap)
    free: dict[int, float] = {}
    while heap:
        arrive, j = heapq.heappop(heap)
        begin = max(arrive, free.get(int(shovel[j]), -np.inf)) + delay[j]
        end = begin + load[j] + after_load[j]
        if end > end_min:
            continue  # the truck stops: this cycle would not end within the shift
        free[int(shovel[j])] = begin + load[j]
        queue[j] = begin - arrive
        if nxt[j]:
            heapq.heappush(heap, (end + to_shovel[j + 1], j + 1))
    return queue


def _summary(
    rows: list[dict[str, Any]],
    row_of: np.ndarray,
    kept: np.ndarray,
    litres: np.ndarray,
    tonnes: np.ndarray,
    queue: np.ndarray,
) -> dict[str, Any]:
    out_rows = []
    for i, row in enumerate(rows):
        mine_rows = (row_of == i) & kept
        out_rows.append(
            {
                "truck": str(row["truck"]),
                "shovel": str(row["shovel"]),
                "dump": str(row["dump"]),
                "planned_cycles": int(row["cycles"]),
                "cycles": int(mine_rows.sum()),
                "tonnes": round(float(tonnes[mine_rows].sum()), 1),
                "litres": round(float(litres[mine_rows].sum()), 2),
                "queue_min": round(float(queue[mine_rows].sum()), 2),
            }
        )
    total_l, total_t = float(litres.sum()), float(tonnes.sum())
    return {
        "litres": round(total_l, 2),
        "tonnes": round(total_t, 1),
        "litres_per_t": round(total_l / total_t, 5) if total_t > 0 else None,
        "queue_min": round(float(queue[kept].sum()), 2),
        "cycles": int(kept.sum()),
        "trucks": out_rows,
    }


def history_inputs(mine: Mine, shift: Shift, cfg: OptimizeSettings) -> dict[str, Any]:
    """The rows ``read_inputs`` reads from the warehouse, from the mine's clean history."""
    day = day_index(mine, shift.shift_date)
    since = pd.Timestamp(shift.start - timedelta(days=cfg.scenario.lookback_days))
    until = pd.Timestamp(shift.start)
    equipment = mine.equipment()
    trucks = equipment[equipment["equipment_type"] == "truck"]
    hours = trucks.set_index("equipment_id")["engine_hours"]
    first = max(0, day - cfg.scenario.lookback_days - 1)
    frames = []
    for d in range(first, day + 1):
        cycles = mine.simulate_day(d).cycles
        frames.append(cycles[(cycles["load_start"] >= since) & (cycles["load_start"] < until)])
    cycles = pd.concat(frames, ignore_index=True)
    cycles["truck_engine_hours"] = cycles["truck_id"].map(hours)
    plan = mine.simulate_day(day).plan
    targets = plan[plan["shift"] == shift.shift][["shovel_id", "target_t"]]
    return {
        "equipment": trucks[["equipment_id", "model", "capacity_t"]].reset_index(drop=True),
        "targets": targets.sort_values("shovel_id").reset_index(drop=True),
        "cycles": cycles[CYCLE_COLUMNS]
        .sort_values(["truck_id", "load_start"])
        .reset_index(drop=True),
    }


class MinePhysics:
    """Litres per cycle from the mine's own noise-free physics (an oracle fuel model).

    It stands for a perfect champion: plans built with it separate the assignment's and queue's
    error from the fuel model's. Operator effects average out (factor 1 x the truck's wear)."""

    def __init__(self, mine: Mine) -> None:
        self.mine = mine

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        p = self.mine.cfg.physics
        table = [TRUCK_MODELS[m] for m in frame["truck_model"]]
        rr = frame["road_condition"].map(p.rolling_resistance).fillna(p.rolling_resistance["fair"])
        hours = pd.to_numeric(frame["truck_engine_hours"], errors="coerce").fillna(0.0)
        wear = 1.0 + p.wear_frac_per_10k_hours * hours.to_numpy(float) / 10_000.0
        payload = frame["payload_t"].to_numpy(float)
        rated = np.array([t.payload_t for t in table])
        ph = cycle_phases(
            rated_kw=np.array([t.rated_kw for t in table]),
            empty_t=np.array([t.empty_t for t in table]), payload_t=payload,
            loaded_km=frame["loaded_distance_km"].to_numpy(float),
            empty_km=frame["empty_distance_km"].to_numpy(float),
            rise_m=frame["rise_m"].to_numpy(float), fall_m=frame["fall_m"].to_numpy(float),
            rr=rr.to_numpy(float), queue_min=frame["queue_min"].to_numpy(float),
            load_min=p.load_min_mean * payload / rated, dump_min=p.dump_min_mean, p=p,
        )  # fmt: skip
        return phase_litres(ph, p.specific_consumption_l_per_kwh, wear).sum(-1)


def predictor(mine: Mine, fuel: str) -> Predictor:
    """``physics`` (the DAG's fallback before a champion exists) or ``mine`` (oracle)."""
    if fuel == "physics":
        return Predictor("physics")
    if fuel == "mine":
        return Predictor("mine physics (oracle)", MinePhysics(mine))
    raise BadInput(f"--fuel: {fuel!r} is not one of physics, mine")


def shift_scenario(
    mine: Mine, shift_date: date, shift: str, cfg: OptimizeSettings, fuel: str = "physics"
) -> dict[str, Any]:
    """The scenario document of a shift, built as the DAG builds it (build_scenario)."""
    if shift not in SHIFTS:
        raise BadInput(f"--shift: {shift!r} is not one of day, night")
    if cfg.shift.day_start_hour != mine.cfg.operations.shift_start_hour:
        raise BadInput("optimize.shift.day_start_hour differs from synth shift_start_hour")
    target = shift_of(shift_date, shift, cfg.shift)
    inputs = history_inputs(mine, target, cfg)
    try:
        return build_scenario(inputs, target, cfg, predictor(mine, fuel), get_settings().physics)
    except ValueError as exc:
        raise BadInput(f"--shift-date: {exc}") from None
