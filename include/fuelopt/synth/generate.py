"""Deterministic simulation of the mine, day by day: cycles, refuelling, plans, telemetry.

Every random draw comes from a generator seeded by ``(seed, stream, day)``, so any day can be
simulated on its own (telemetry streams one day at a time) and the same spec always gives the
same rows. Day ``d`` covers the day shift (06:00-18:00 UTC by default) and the night shift that
follows (18:00-06:00 the next morning); both shifts belong to ``shift_date`` = start + d.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from fuelopt.config import get_settings
from fuelopt.sources.tables import OPERATIONS_COLUMNS, TELEMETRY_COLUMNS
from fuelopt.synth import defects
from fuelopt.synth.physics import PHASE_STATUS, TRAVEL_PHASES, cycle_phases, phase_litres
from fuelopt.synth.settings import ROAD_CONDITIONS, SynthSettings
from fuelopt.synth.spec import MineSpec
from fuelopt.synth.truck_models import AUXILIARY_MODELS, SHOVEL_MODEL, TRUCK_MODELS

COLUMNS: dict[str, list[str]] = {
    **{name: list(cols) for name, cols in OPERATIONS_COLUMNS.items()},
    "truck_telemetry": list(TELEMETRY_COLUMNS),
}
OPERATION_TABLES = ("equipment", "haul_cycles", "fuel_dispatch", "shift_plan")
SHIFT_MIN = 720.0
SHIFTS = ("day", "night")
MAX_CYCLES_PER_SHIFT = 92  # a cycle takes well over 8 minutes
STATUS_IDLE, STATUS_DOWN = "idle", "down"
STREAM_STATIC, STREAM_OPS, STREAM_TELEMETRY, STREAM_OPS_DEFECTS, STREAM_TEL_DEFECTS = range(5)
STREAM_WORN = 5  # its own stream: worn engines change no other draw


def operator_ids(truck_ids: np.ndarray, crew: np.ndarray) -> np.ndarray:
    """``OP-<truck>-<crew + 1>``: the operator of a truck's crew (no random draw: the crews of
    a truck rotate shift by shift, each operator a fixed fuel factor, ``Mine.operator_factor``)."""
    return np.array([f"OP-{t}-{c + 1}" for t, c in zip(truck_ids, crew, strict=True)], dtype=object)


def rng_for(spec: MineSpec, stream: int, day: int = 0) -> np.random.Generator:
    """The random generator of one stream and day (independent of every other)."""
    return np.random.default_rng([spec.seed, stream, day])


def timestamps(seconds: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps (microsecond unit) from seconds since the Unix epoch."""
    return (
        pd.DatetimeIndex(np.asarray(seconds, dtype="int64").astype("datetime64[s]"))
        .astype("datetime64[us]")
        .tz_localize("UTC")
    )


def _split_counts(shares: dict[str, float], n: int) -> list[str]:
    """``n`` model names in the given shares (largest remainder, ties in config order)."""
    names = list(shares)
    weights = np.array([shares[k] for k in names], dtype=float)
    exact = weights / weights.sum() * n
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return [name for name, c in zip(names, counts, strict=True) for _ in range(c)]


@dataclass
class DaySim:
    """One simulated day; cycle arrays have shape (truck-shifts, MAX_CYCLES_PER_SHIFT)."""

    day: int
    day0_s: int  # epoch seconds of the day shift's start
    active: np.ndarray  # fleet positions working this day
    down: np.ndarray  # per truck-shift (2 x active: day shifts then night shifts)
    factor: np.ndarray  # operator x wear x worn engine, per truck-shift
    keep: np.ndarray
    start_min: np.ndarray  # cycle start (end of previous dump), minutes after day0
    minutes: np.ndarray  # (.., 9) phase minutes
    engine_kw: np.ndarray
    speed_kmh: np.ndarray
    grade: np.ndarray
    payload_phase: np.ndarray
    tail_start: np.ndarray  # per truck-shift: minute the truck goes idle for the rest of it
    cycles: pd.DataFrame
    dispatch: pd.DataFrame
    plan: pd.DataFrame
    burned_l: np.ndarray  # true litres burned per truck-shift (cycles + idle)


class Mine:
    """The static mine of a spec (fleet, crews, routes) and its day-by-day simulation."""

    def __init__(self, spec: MineSpec, settings: SynthSettings | None = None) -> None:
        self.spec = spec
        self.cfg = settings or get_settings().synth
        cfg, p = self.cfg, self.cfg.physics
        rng = rng_for(spec, STREAM_STATIC)
        n = spec.trucks
        models = list(np.array(_split_counts(cfg.fleet_mix, n))[rng.permutation(n)])
        hours = rng.uniform(*p.engine_hours_range, size=n)
        first = np.zeros(n, dtype=int)
        last = np.full(n, spec.days + 1, dtype=int)
        if spec.scenario == "new_truck_model":
            k = int(spec.scenario_start_day)
            n_new = min(n, max(1, round(cfg.scenarios.new_truck_share * n)))
            last[np.argsort(-hours, kind="stable")[:n_new]] = k  # the oldest are replaced
            models += [cfg.scenarios.new_truck_model] * n_new
            hours = np.concatenate([hours, np.zeros(n_new)])
            first = np.concatenate([first, np.full(n_new, k)])
            last = np.concatenate([last, np.full(n_new, spec.days + 1)])
        total = len(models)
        width = max(2, len(str(total)))
        self.truck_ids = np.array([f"T{i + 1:0{width}d}" for i in range(total)])
        self.truck_model = np.array(models)
        table = [TRUCK_MODELS[m] for m in models]
        self.rated_kw = np.array([t.rated_kw for t in table])
        self.rated_payload = np.array([t.payload_t for t in table])
        self.empty_t = np.array([t.empty_t for t in table])
        self.engine_hours = np.round(hours, 1)
        self.first_day, self.last_day = first, last
        self.wear = 1.0 + p.wear_frac_per_10k_hours * self.engine_hours / 10_000.0
        self.operator_factor = np.clip(
            1.0 + rng.normal(0.0, p.operator_sd_frac, size=(total, p.operators_per_truck)),
            0.7,
            1.3,
        )
        self.worn_excess = self._worn_excess(total)
        s, d = spec.shovels, spec.dumps
        self.shovel_ids = np.array([f"S{i + 1}" for i in range(s)])
        self.dump_ids = np.array([f"D{i + 1}" for i in range(d)])
        self.aux_ids = [f"A{i + 1}" for i in range(cfg.operations.auxiliary_units)]
        self.station_ids = np.array([f"FS{i + 1}" for i in range(cfg.operations.stations)])
        self.rise_m = np.round(rng.uniform(*p.rise_m_range, size=(s, d)), 1)
        self.fall_m = np.round(rng.uniform(*p.fall_m_range, size=(s, d)), 1)
        ramps_km = (self.rise_m + self.fall_m) / p.ramp_grade / 1000.0
        self.loaded_km = np.maximum(
            rng.uniform(*p.loaded_distance_km_range, size=(s, d)), 1.15 * ramps_km
        )
        self.empty_km = np.maximum(
            self.loaded_km * rng.uniform(*p.empty_distance_ratio_range, size=(s, d)),
            1.1 * ramps_km,
        )
        self.other_hours = np.round(
            rng.uniform(*p.engine_hours_range, size=s + len(self.aux_ids)), 1
        )
        self.t0 = int(pd.Timestamp(spec.start).tz_localize("UTC").timestamp())

    def _worn_excess(self, total: int) -> np.ndarray:
        """Per truck: the fraction of extra fuel of a worn engine (0 for a sound one)."""
        p = self.cfg.physics
        rng = rng_for(self.spec, STREAM_WORN)
        worn = rng.permutation(total)[: round(p.worn_engine_share * total)]
        excess = np.zeros(total)
        excess[worn] = rng.uniform(*p.worn_engine_excess_range, size=len(worn))
        return excess

    def fuel_factor(self, truck: np.ndarray, crew: np.ndarray) -> np.ndarray:
        """Fuel multiplier of each (truck, crew): operator x engine-hour wear x worn engine."""
        worn = 1.0 + self.worn_excess[truck]
        return self.operator_factor[truck, crew] * self.wear[truck] * worn

    # -- static tables ------------------------------------------------------------------------
    def _commissioned(self, hours: float, first_day: int = 0) -> date:
        if first_day > 0:
            return self.spec.start + timedelta(days=int(first_day))
        years = hours / self.cfg.physics.engine_hours_per_year
        return self.spec.start - timedelta(days=round(years * 365.25))

    def equipment(self) -> pd.DataFrame:
        """The ``equipment`` table: trucks, shovels, auxiliary machines."""
        rows = [
            (tid, "truck", m, float(TRUCK_MODELS[m].payload_t), self._commissioned(h, f), float(h))
            for tid, m, h, f in zip(
                self.truck_ids, self.truck_model, self.engine_hours, self.first_day, strict=True
            )
        ]
        hours = iter(self.other_hours)
        for sid in self.shovel_ids:
            h = next(hours)
            rows.append((sid, "shovel", SHOVEL_MODEL[0], SHOVEL_MODEL[1], self._commissioned(h), h))
        for i, aid in enumerate(self.aux_ids):
            h = next(hours)
            model = AUXILIARY_MODELS[i % len(AUXILIARY_MODELS)][0]
            rows.append((aid, "auxiliary", model, np.nan, self._commissioned(h), float(h)))
        frame = pd.DataFrame(rows, columns=COLUMNS["equipment"])
        frame["engine_hours"] = frame["engine_hours"].astype(float)
        frame["capacity_t"] = frame["capacity_t"].astype(float)
        return frame

    @cached_property
    def routes(self) -> pd.DataFrame:
        """Shovel-dump routes (for truth.json)."""
        s, d = np.meshgrid(np.arange(self.spec.shovels), np.arange(self.spec.dumps), indexing="ij")
        return pd.DataFrame(
            {
                "shovel_id": self.shovel_ids[s.ravel()],
                "dump_id": self.dump_ids[d.ravel()],
                "loaded_distance_km": self.loaded_km.ravel().round(3),
                "empty_distance_km": self.empty_km.ravel().round(3),
                "rise_m": self.rise_m.ravel(),
                "fall_m": self.fall_m.ravel(),
            }
        )

    # -- the mine's own dispatch --------------------------------------------------------------
    @cached_property
    def designated_dump(self) -> np.ndarray:
        """Each shovel's dump: the one its material is hauled to, the shortest nominal cycle."""
        return self.nominal_cycle_min.argmin(axis=1)

    @cached_property
    def nominal_cycle_min(self) -> np.ndarray:
        """Minutes of a cycle of the fleet's average truck on each (shovel, dump), fair roads."""
        p = self.cfg.physics
        ph = cycle_phases(
            rated_kw=self.rated_kw.mean(), empty_t=self.empty_t.mean(),
            payload_t=self.rated_payload.mean() * p.payload_mean_frac,
            loaded_km=self.loaded_km, empty_km=self.empty_km, rise_m=self.rise_m,
            fall_m=self.fall_m, rr=p.rolling_resistance["fair"], queue_min=p.queue_min_mean,
            load_min=p.load_min_mean, dump_min=p.dump_min_mean, p=p,
        )  # fmt: skip
        return ph.minutes.sum(-1)

    def dispatch(self, day: int, n: int, shift: int) -> np.ndarray:
        """The shovel of each of the ``n`` working trucks in a shift, as a dispatcher decides:
        trucks per shovel in proportion to its cycle time to its dump (so every shovel is fed
        at the same rate: a longer haul needs more trucks), at least one each, by largest
        remainder; the trucks take the places in turn, moving one place every shift."""
        S = self.spec.shovels
        if n == 0:
            return np.zeros(0, dtype=int)
        need = self.nominal_cycle_min[np.arange(S), self.designated_dump]
        counts = np.zeros(S, dtype=int)
        if n >= S:
            counts[:] = 1
        share = need / need.sum() * (n - counts.sum())
        counts += np.floor(share).astype(int)
        rest = n - counts.sum()
        counts[np.argsort(-(share - np.floor(share)), kind="stable")[:rest]] += 1
        places = np.repeat(np.arange(S), counts)
        return places[(np.arange(n) + 2 * day + shift) % n]

    # -- one day ------------------------------------------------------------------------------
    def simulate_day(self, day: int) -> DaySim:
        """Cycles, refuelling and the shift plan of day index ``day`` (both shifts)."""
        spec, cfg = self.spec, self.cfg
        p, ops = cfg.physics, cfg.operations
        rng = rng_for(spec, STREAM_OPS, day)
        draws = day_draws(self, day, rng)
        day0_s = self.t0 + day * 86_400 + ops.shift_start_hour * 3600
        shift_date = spec.start + timedelta(days=day)
        active = np.flatnonzero((self.first_day <= day) & (day < self.last_day))
        n, S, K = len(active), spec.shovels, MAX_CYCLES_PER_SHIFT
        ts_truck = np.tile(active, 2)  # truck-shifts: all day shifts, then all night shifts
        ts_shift = np.repeat([0, 1], n)
        shift_start_min = ts_shift * SHIFT_MIN

        degraded = spec.scenario_active("road_degradation", day)
        cond = draws.road
        rr_table = np.array([p.rolling_resistance[c] for c in ROAD_CONDITIONS])
        rr = rr_table[cond] + (cfg.scenarios.road_degradation_rr_add if degraded else 0.0)

        shovel = np.concatenate([self.dispatch(day, n, shift) for shift in (0, 1)])
        dump, down = self.designated_dump[shovel], draws.down
        crew = (2 * day + ts_shift) % p.operators_per_truck
        factor = self.fuel_factor(ts_truck, crew)
        trucks_at = np.zeros((2, S))
        np.add.at(trucks_at, (ts_shift, shovel), 1.0)
        crowd = trucks_at[ts_shift, shovel] / max(n / S, 1.0)

        payload, load, dump_min = draws.payload, draws.load, draws.dump_min
        loaded_km = (self.loaded_km[shovel, dump][:, None] * draws.jit_l).round(3)
        empty_km = (self.empty_km[shovel, dump][:, None] * draws.jit_e).round(3)
        queue = (p.queue_min_mean * crowd[:, None] * draws.delay).round(2)
        noise = rng.normal(0.0, cfg.noise.cycle_fuel_sd_frac, size=(2 * n, K))
        station = rng.integers(len(self.station_ids), size=2 * n)
        refuel_before_end = rng.uniform(2.0, 15.0, size=2 * n)
        dispense_noise = rng.normal(0.0, cfg.noise.dispense_sd_frac, size=2 * n)
        aux_hour = rng.uniform(1.0, 11.0, size=len(self.aux_ids))
        aux_litres = rng.normal(1.0, 0.1, size=len(self.aux_ids)) * ops.auxiliary_daily_litres

        truck = ts_truck[:, None]
        rise = self.rise_m[shovel, dump][:, None]
        fall = self.fall_m[shovel, dump][:, None]
        road = rr[shovel, dump][:, None]
        ph = cycle_phases(
            rated_kw=self.rated_kw[truck], empty_t=self.empty_t[truck], payload_t=payload,
            loaded_km=loaded_km, empty_km=empty_km, rise_m=rise, fall_m=fall, rr=road,
            queue_min=queue, load_min=load, dump_min=dump_min, p=p,
        )  # fmt: skip
        litres = phase_litres(ph, p.specific_consumption_l_per_kwh, factor[:, None])
        expected = litres.sum(-1)
        cycle_min = ph.minutes.sum(-1)
        start = shift_start_min[:, None] + ops.shift_change_min + np.cumsum(cycle_min, 1)
        start = start - cycle_min
        end = start + cycle_min
        keep = (end <= shift_start_min[:, None] + SHIFT_MIN) & ~down[:, None]
        n_kept = keep.sum(1)
        last_end = np.where(
            n_kept > 0,
            np.take_along_axis(end, np.maximum(n_kept - 1, 0)[:, None], 1)[:, 0],
            shift_start_min + ops.shift_change_min,
        )
        idle_min = np.where(
            down, 0.0, ops.shift_change_min + shift_start_min + SHIFT_MIN - last_end
        )
        idle_l = (
            p.specific_consumption_l_per_kwh
            * self.rated_kw[ts_truck]
            * p.idle_load_frac
            * factor
            * idle_min
            / 60.0
        )
        burned = np.where(down, 0.0, (expected * keep).sum(1) + idle_l)

        # haul_cycles
        j, k = np.nonzero(keep)
        travel_h = ph.minutes[j, k][:, list(TRAVEL_PHASES)].sum(1) / 60.0
        dist = loaded_km[j, k] + empty_km[j, k]
        load_start = start[j, k] + ph.minutes[j, k, :4].sum(1)
        stamp = shift_date.strftime("%Y%m%d")
        tids = self.truck_ids[ts_truck[j]]
        cycle_ids = [
            f"{t}-{stamp}-{'DN'[s]}{kk + 1:03d}"
            for t, s, kk in zip(tids, ts_shift[j], k, strict=True)
        ]
        cycles = pd.DataFrame(
            {
                "cycle_id": cycle_ids,
                "truck_id": tids,
                "shovel_id": self.shovel_ids[shovel[j]],
                "dump_id": self.dump_ids[dump[j]],
                "load_start": timestamps(day0_s + np.round(load_start * 60.0)),
                "dump_end": timestamps(day0_s + np.round(end[j, k] * 60.0)),
                "payload_t": payload[j, k],
                "loaded_distance_km": loaded_km[j, k],
                "empty_distance_km": empty_km[j, k],
                "rise_m": np.broadcast_to(rise, keep.shape)[j, k],
                "fall_m": np.broadcast_to(fall, keep.shape)[j, k],
                "queue_min": queue[j, k],
                "avg_speed_kmh": (dist / travel_h).round(2),
                "road_condition": np.array(ROAD_CONDITIONS)[cond[shovel[j], dump[j]]],
                "fuel_l": (expected[j, k] * (1.0 + noise[j, k])).round(2),
                "operator_id": operator_ids(tids, crew[j]),
                "fuel_l_expected": expected[j, k].round(3),
                "truck_model": self.truck_model[ts_truck[j]],
            }
        )
        cycles = cycles.sort_values(["dump_end", "cycle_id"], kind="stable", ignore_index=True)

        # fuel_dispatch: each working truck refuels at the end of its shift, with what it burned
        work = np.flatnonzero(~down)
        at = shift_start_min[work] + SHIFT_MIN - refuel_before_end[work]
        equipment_ids = list(self.truck_ids[ts_truck[work]]) + self.aux_ids
        dispatch = pd.DataFrame(
            {
                "dispatch_id": [
                    f"FD-{stamp}-{'DN'[s]}-{e}"
                    for s, e in zip(ts_shift[work], self.truck_ids[ts_truck[work]], strict=True)
                ]
                + [f"FD-{stamp}-A-{a}" for a in self.aux_ids],
                "equipment_id": equipment_ids,
                "dispensed_at": timestamps(
                    day0_s + np.round(np.concatenate([at, aux_hour * 60.0]) * 60.0)
                ),
                "litres": np.concatenate(
                    [burned[work] * (1.0 + dispense_noise[work]), aux_litres]
                ).round(1),
                "station_id": np.concatenate(
                    [
                        self.station_ids[station[work]],
                        self.station_ids[np.arange(len(self.aux_ids)) % len(self.station_ids)],
                    ]
                ),
            }
        )
        dispatch = dispatch.sort_values(["dispensed_at", "dispatch_id"], ignore_index=True)

        # shift_plan: expected tonnes of the trucks assigned to each shovel, at nominal values
        nominal = cycle_phases(
            rated_kw=self.rated_kw[ts_truck], empty_t=self.empty_t[ts_truck],
            payload_t=self.rated_payload[ts_truck] * p.payload_mean_frac,
            loaded_km=self.loaded_km[shovel, dump], empty_km=self.empty_km[shovel, dump],
            rise_m=self.rise_m[shovel, dump], fall_m=self.fall_m[shovel, dump],
            rr=p.rolling_resistance["fair"], queue_min=p.queue_min_mean * crowd,
            load_min=p.load_min_mean, dump_min=p.dump_min_mean, p=p,
        )  # fmt: skip
        cycles_expected = (SHIFT_MIN - ops.shift_change_min) / nominal.minutes.sum(-1)
        tonnes = (
            cycles_expected
            * self.rated_payload[ts_truck]
            * p.payload_mean_frac
            * (1.0 - ops.down_shift_prob)
            * ops.plan_efficiency
        )
        target = np.zeros((2, S))
        np.add.at(target, (ts_shift, shovel), tonnes)
        plan = pd.DataFrame(
            {
                "shift_date": [shift_date] * (2 * S),
                "shift": np.repeat(SHIFTS, S),
                "shovel_id": np.tile(self.shovel_ids, 2),
                "target_t": (target.ravel() / 10.0).round() * 10.0,
            }
        )
        return DaySim(
            day=day, day0_s=day0_s, active=active, down=down, factor=factor, keep=keep,
            start_min=start, minutes=ph.minutes, engine_kw=ph.engine_kw, speed_kmh=ph.speed_kmh,
            grade=ph.grade, payload_phase=ph.payload_t, tail_start=last_end, cycles=cycles,
            dispatch=dispatch, plan=plan, burned_l=burned,
        )  # fmt: skip

    # -- telemetry ----------------------------------------------------------------------------
    def telemetry_day(self, sim: DaySim) -> pd.DataFrame:
        """One row per active truck per minute of the day, from the day's phases."""
        cfg, p = self.cfg, self.cfg.physics
        n = len(sim.active)
        if n == 0:
            return pd.DataFrame({c: [] for c in COLUMNS["truck_telemetry"]})
        rng = rng_for(self.spec, STREAM_TELEMETRY, sim.day)
        pos = np.tile(np.arange(n), 2)
        ts_shift = np.repeat([0, 1], n)
        rated_kw = self.rated_kw[sim.active][pos]
        status_codes = np.array([*PHASE_STATUS, STATUS_IDLE, STATUS_DOWN])
        idle_code, down_code = len(PHASE_STATUS), len(PHASE_STATUS) + 1
        edge_kw = np.where(sim.down, 0.0, rated_kw * p.idle_load_frac)
        edge_code = np.where(sim.down, down_code, idle_code)
        # segments: shift lead, kept cycle phases, shift tail
        j, k = np.nonzero(sim.keep)
        phase_start = sim.start_min[j, k][:, None] + np.cumsum(sim.minutes[j, k], 1)
        phase_start = phase_start - sim.minutes[j, k]
        n_ph = len(PHASE_STATUS)
        seg_t = np.concatenate([ts_shift * SHIFT_MIN, phase_start.ravel(), sim.tail_start])
        seg_pos = np.concatenate([pos, np.repeat(pos[j], n_ph), pos])
        seg_code = np.concatenate([edge_code, np.tile(np.arange(n_ph), len(j)), edge_code])
        seg_kw = np.concatenate([edge_kw, sim.engine_kw[j, k].ravel(), edge_kw])
        zeros = np.zeros(2 * n)
        seg_speed = np.concatenate([zeros, sim.speed_kmh[j, k].ravel(), zeros])
        seg_grade = np.concatenate([zeros, sim.grade[j, k].ravel(), zeros])
        seg_payload = np.concatenate([zeros, sim.payload_phase[j, k].ravel(), zeros])
        seg_factor = np.concatenate([sim.factor, np.repeat(sim.factor[j], n_ph), sim.factor])
        key = seg_pos * 10_000.0 + seg_t
        order = np.argsort(key, kind="stable")
        minute = np.arange(int(2 * SHIFT_MIN), dtype=float)
        grid = (np.arange(n)[None, :] * 10_000.0 + minute[:, None]).ravel()  # ts-major
        idx = order[np.searchsorted(key[order], grid, side="right") - 1]
        rows = len(grid)
        fuel_noise = 1.0 + rng.normal(0.0, cfg.noise.telemetry_fuel_sd_frac, size=rows)
        speed_noise = rng.normal(0.0, cfg.noise.telemetry_speed_sd_kmh, size=rows)
        kw = seg_kw[idx]
        speed = seg_speed[idx]
        frame = pd.DataFrame(
            {
                "truck_id": np.tile(self.truck_ids[sim.active], len(minute)),
                "ts": timestamps(sim.day0_s + np.repeat(minute, n).astype("int64") * 60),
                "fuel_rate_lph": (
                    p.specific_consumption_l_per_kwh * kw * seg_factor[idx] * fuel_noise
                ).round(2),
                "engine_load_pct": (kw / np.repeat(rated_kw[:n][None, :], len(minute), 0).ravel()
                                    * 100.0 * fuel_noise).round(1),
                "speed_kmh": np.where(speed > 0, np.clip(speed + speed_noise, 0.0, None), 0.0)
                .round(1),
                "payload_t": seg_payload[idx].round(1),
                "grade_pct": (seg_grade[idx] * 100.0).round(1),
                "status": status_codes[seg_code[idx]],
            }
        )  # fmt: skip
        return frame


def generate_day_operations(mine: Mine, day: int, clean: bool) -> dict[str, pd.DataFrame]:
    """Cycles, dispatch and plan rows of one day, defects injected unless ``clean``."""
    sim = mine.simulate_day(day)
    frames = {"haul_cycles": sim.cycles, "fuel_dispatch": sim.dispatch, "shift_plan": sim.plan}
    if not clean:
        rng = rng_for(mine.spec, STREAM_OPS_DEFECTS, day)
        frames["haul_cycles"] = defects.haul_cycles(sim.cycles, rng, mine.cfg.defects)
        frames["fuel_dispatch"] = defects.fuel_dispatch(sim.dispatch, rng, mine.cfg.defects)
    return frames


def generate_operations(
    spec: MineSpec | None = None, *, include_truth: bool = False
) -> dict[str, pd.DataFrame]:
    """The four operations tables (docs/contracts.md §1 columns, in order, UTC timestamps).

    ``include_truth`` adds to ``haul_cycles`` the generator's noise-free litres
    (``fuel_l_expected``), ``truck_model`` and a ``defect`` label (empty for clean rows).
    """
    spec = spec or MineSpec()
    mine = Mine(spec)
    parts: dict[str, list[pd.DataFrame]] = {
        "haul_cycles": [],
        "fuel_dispatch": [],
        "shift_plan": [],
    }
    for day in range(spec.days):
        for name, frame in generate_day_operations(mine, day, spec.clean).items():
            parts[name].append(frame)
    # The supervisor writes the plan ahead: the window ends with the plan of the day after it.
    parts["shift_plan"].append(mine.simulate_day(spec.days).plan)
    out = {"equipment": mine.equipment()}
    for name, frames in parts.items():
        frame = pd.concat(frames, ignore_index=True)
        if "defect" not in frame:
            frame["defect"] = ""
        frame["defect"] = frame["defect"].fillna("")
        extra = ["fuel_l_expected", "truck_model", "defect"] if name == "haul_cycles" else []
        out[name] = frame[COLUMNS[name] + (extra if include_truth else [])]
        counts = frame["defect"][frame["defect"] != ""].value_counts().sort_index()
        out[name].attrs["defects"] = {str(k): int(v) for k, v in counts.items()}
    out["equipment"].attrs["defects"] = {}
    return out


def iter_telemetry(
    spec: MineSpec | None = None,
    *,
    with_ingested_at: bool = False,
    days_per_chunk: int | None = None,
) -> Iterator[pd.DataFrame]:
    """``truck_telemetry`` frames in time order, ``days_per_chunk`` days each (bounded memory).

    ``with_ingested_at`` adds the time the source system received each row (late rows hours
    after ``ts``) and a ``defect`` label, as loaded into the telemetry database.
    """
    spec = spec or MineSpec()
    mine = Mine(spec)
    per = days_per_chunk or mine.cfg.telemetry_chunk_days
    for first in range(0, spec.days, per):
        frames = []
        for day in range(first, min(first + per, spec.days)):
            frame = mine.telemetry_day(mine.simulate_day(day))
            rng = rng_for(spec, STREAM_TEL_DEFECTS, day)
            frames.append(defects.telemetry(frame, rng, mine.cfg.defects, clean=spec.clean))
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        cols = COLUMNS["truck_telemetry"] + (["ingested_at", "defect"] if with_ingested_at else [])
        yield frame[cols]


@dataclass(frozen=True)
class DayDraws:
    """The random draws of one day that do not depend on the dispatch (truck-shift rows)."""

    road: np.ndarray  # (S, D) condition index
    down: np.ndarray
    payload: np.ndarray  # (2n, K)
    jit_l: np.ndarray
    jit_e: np.ndarray
    delay: np.ndarray  # standard exponential: the history's queue and a replay's shovel delay
    load: np.ndarray
    dump_min: np.ndarray


def day_draws(mine: Mine, day: int, rng: np.random.Generator) -> DayDraws:
    """The first draws of day ``day`` from its generator ``rng_for(spec, STREAM_OPS, day)``:
    :meth:`Mine.simulate_day` continues from them and a replay reuses them (common random
    numbers: a plan is judged on the day the history had)."""
    spec, cfg = mine.spec, mine.cfg
    p, ops = cfg.physics, cfg.operations
    active = np.flatnonzero((mine.first_day <= day) & (day < mine.last_day))
    n, S, D, K = len(active), spec.shovels, spec.dumps, MAX_CYCLES_PER_SHIFT
    degraded = spec.scenario_active("road_degradation", day)
    probs = cfg.scenarios.road_degradation_condition_probs if degraded else p.road_condition_probs
    road = rng.choice(3, size=(S, D), p=[probs[c] for c in ROAD_CONDITIONS])
    down = rng.random(2 * n) < ops.down_shift_prob
    rated = mine.rated_payload[np.tile(active, 2)][:, None]
    pay_mean = rated * p.payload_mean_frac
    if spec.scenario_active("payload_shift", day):
        pay_mean = pay_mean * (1.0 + cfg.scenarios.payload_shift_frac)
    payload = np.clip(
        rng.normal(pay_mean, rated * p.payload_sd_frac, size=(2 * n, K)), 0.5 * rated, 1.4 * rated
    ).round(1)
    jit_l = 1.0 + rng.normal(0.0, p.distance_jitter_frac, size=(2 * n, K))
    jit_e = 1.0 + rng.normal(0.0, p.distance_jitter_frac, size=(2 * n, K))
    delay = rng.exponential(1.0, size=(2 * n, K))
    load = np.clip(rng.normal(p.load_min_mean, p.load_min_sd, size=(2 * n, K)), 1.0, None)
    load = load * payload / rated
    dump_min = p.dump_min_mean * rng.uniform(0.85, 1.15, size=(2 * n, K))
    return DayDraws(road, down, payload, jit_l, jit_e, delay, load, dump_min)
