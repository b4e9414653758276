"""The next shift's scenario from the warehouse: trucks, shovel targets, routes, litres per cycle.

- trucks: `marts.dim_equipment` rows of type truck that ran at least one cycle in the lookback
  window (a truck with no recent cycle is taken as unavailable); payload = its median recent
  payload (else its rated capacity); hours = the median hours it worked in its recent shifts
  (first load to last load plus one cycle), at most shift_hours; shift_hours x
  truck_availability (config) for a truck with no complete shift in the window;
- shovels: the shift's rows of `cleansed.stg_operations__shift_plan`; loading capacity = a high
  quantile of the loads per clock hour seen at the shovel, never below the configured default;
  accepted models: every fleet model, or those seen at the shovel (config);
- routes: (shovel, dump) pairs with enough recent cycles; cycle hours per model = median time
  from a cycle's load start to the same truck's next load start (the full cycle, return and
  queue included), per model where observed, else the route's median over models;
- litres per cycle: the champion cycle model (else a physics estimate) on representative frame
  rows per truck model x route (route medians, model medians of payload and engine hours), one
  per road condition seen on the route, averaged with the conditions' shares of its cycles;
- dumps: those on a route; capacity per shift from config;
- queue (optimize.queue.enabled): per route and model the median historical queue hours within
  cycle_h (``queue_h``), and the queue model's parameters (docs/contracts.md §4.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from fuelopt.haul_physics_settings import HaulPhysicsSettings
from fuelopt.optimize.fuel import Predictor
from fuelopt.optimize.settings import OptimizeSettings, ScenarioBuildSettings, ShiftSettings

log = logging.getLogger(__name__)

CYCLE_COLUMNS = [
    "cycle_id", "truck_id", "shovel_id", "dump_id", "load_start", "dump_end", "payload_t",
    "loaded_distance_km", "empty_distance_km", "rise_m", "fall_m", "queue_min", "avg_speed_kmh",
    "road_condition", "truck_model", "truck_engine_hours",
]  # fmt: skip
ROUTE_NUMERIC = [
    "loaded_distance_km",
    "empty_distance_km",
    "rise_m",
    "fall_m",
    "queue_min",
    "avg_speed_kmh",
]


@dataclass(frozen=True)
class Shift:
    shift_date: date
    shift: str  # day | night
    start: datetime

    @property
    def key(self) -> str:
        return f"{self.shift_date.isoformat()}_{self.shift}"


def shift_of(shift_date: date, shift: str, cfg: ShiftSettings) -> Shift:
    """The shift called ``shift`` (day|night) on ``shift_date``."""
    if shift not in ("day", "night"):
        raise ValueError(f"shift must be 'day' or 'night', got {shift!r}")
    start = datetime.combine(shift_date, time(cfg.day_start_hour), tzinfo=UTC)
    if shift == "night":
        start += timedelta(hours=cfg.shift_hours)
    return Shift(shift_date, shift, start)


def next_shift(after: datetime, cfg: ShiftSettings) -> Shift:
    """The first shift starting at or after ``after`` (UTC)."""
    after = after.astimezone(UTC)
    for offset in (-1, 0, 1):
        day = after.date() + timedelta(days=offset)
        for name in ("day", "night"):
            candidate = shift_of(day, name, cfg)
            if candidate.start >= after:
                return candidate
    raise AssertionError("unreachable: a shift starts within two days")


def read_inputs(conn: Any, shift: Shift, cfg: OptimizeSettings) -> dict[str, Any]:
    """Equipment, shift targets and recent cycles from the warehouse (one psycopg connection)."""
    from psycopg import sql

    from fuelopt.warehouse.db import query_frame, relation

    since = shift.start - timedelta(days=cfg.scenario.lookback_days)
    columns = sql.SQL(", ").join(map(sql.Identifier, CYCLE_COLUMNS))
    return {
        "equipment": query_frame(
            conn,
            sql.SQL(
                "SELECT equipment_id, model, capacity_t FROM {} "
                "WHERE equipment_type = %s ORDER BY equipment_id"
            ).format(relation("marts", "dim_equipment")),
            ("truck",),
        ),
        "targets": query_frame(
            conn,
            sql.SQL(
                "SELECT shovel_id, target_t FROM {} "
                "WHERE shift_date = %s AND shift = %s ORDER BY shovel_id"
            ).format(relation("cleansed", "stg_operations__shift_plan")),
            (shift.shift_date, shift.shift),
        ),
        "cycles": query_frame(
            conn,
            sql.SQL(
                "SELECT {} FROM {} "
                "WHERE load_start >= %s AND load_start < %s ORDER BY truck_id, load_start"
            ).format(columns, relation("features", "cycle_features")),
            (since, shift.start),
        ),
    }


def _cycle_hours(cycles: pd.DataFrame) -> pd.Series:
    """Hours from each cycle's load start to the same truck's next one (NaN across breaks)."""
    nxt = cycles.groupby("truck_id")["load_start"].shift(-1)
    full = (nxt - cycles["load_start"]).dt.total_seconds() / 3600.0
    loaded = (cycles["dump_end"] - cycles["load_start"]).dt.total_seconds() / 3600.0
    return full.where((full > 0) & (full < 3.0 * loaded))


def worked_hours(cycles: pd.DataFrame, cfg: ShiftSettings) -> pd.Series:
    """Median hours each truck worked per complete shift of the window (at most shift_hours).

    A shift's hours: first load start to last load start plus the truck's median cycle. The
    first and last shifts of the window may be cut by it and are left out."""
    offset = pd.Timedelta(hours=cfg.day_start_hour)
    length = pd.Timedelta(hours=cfg.shift_hours)
    frame = cycles.assign(shift_start=(cycles["load_start"] - offset).dt.floor(length) + offset)
    first, last = frame["shift_start"].min(), frame["shift_start"].max()
    frame = frame[(frame["shift_start"] > first) & (frame["shift_start"] < last)]
    if frame.empty:
        return pd.Series(dtype=float)
    per_shift = frame.groupby(["truck_id", "shift_start"])["load_start"].agg(["min", "max"])
    span = (per_shift["max"] - per_shift["min"]).dt.total_seconds() / 3600.0
    cycle = frame.groupby("truck_id")["cycle_h"].median().fillna(0.0)
    hours = span.groupby(level="truck_id").median() + cycle.reindex(
        span.index.get_level_values("truck_id").unique()
    ).fillna(0.0)
    return hours.clip(upper=cfg.shift_hours)


def build_scenario(
    inputs: dict[str, Any],
    shift: Shift,
    cfg: OptimizeSettings,
    predictor: Predictor,
    physics: HaulPhysicsSettings,
) -> dict[str, Any]:
    """Scenario document (docs/contracts.md §4) plus context keys (shift, fuel_source, profiles);
    ``physics`` (the ``physics`` section) gives the fallback litres and the queue's idle burn."""
    sc = cfg.scenario
    if inputs["targets"].empty:
        raise ValueError(f"no shift plan rows for {shift.key} in stg_operations__shift_plan")
    if inputs["cycles"].empty:
        raise ValueError(f"no cycles in the {sc.lookback_days} days before {shift.start}")
    equipment = inputs["equipment"].copy()
    equipment["capacity_t"] = pd.to_numeric(equipment["capacity_t"]).astype(float)
    cycles = _typed_cycles(inputs["cycles"], equipment)
    targets = inputs["targets"]
    trucks = _trucks(equipment, cycles, cfg)
    fleet_models = sorted({t["model"] for t in trucks})
    route_keys = _routes_with_history(cycles, set(targets["shovel_id"]), sc.min_cycles_per_route)
    litres = _litres_per_cycle(
        cycles, equipment, trucks, route_keys, fleet_models, shift, predictor, physics
    )
    routes = _routes(cycles, litres, cfg.queue.enabled)
    queue = {
        "load_cv2": cfg.queue.load_cv2,
        "idle_l_per_h": physics.idle_lph,
        "max_trucks_per_shovel": cfg.queue.max_trucks_per_shovel,
    }
    return {
        **({"queue": queue} if cfg.queue.enabled else {}),
        "shift_hours": cfg.shift.shift_hours,
        "trucks": trucks,
        "shovels": _shovels(targets, cycles, fleet_models, sc),
        "dumps": [
            {"id": d, "capacity_t": sc.default_dump_capacity_t}
            for d in sorted({r["dump"] for r in routes})
        ],
        "routes": routes,
        "shift_date": shift.shift_date.isoformat(),
        "shift": shift.shift,
        "fuel_source": predictor.source,
        "history": {
            "since": (shift.start - timedelta(days=sc.lookback_days)).isoformat(),
            "until": shift.start.isoformat(),
            "cycles": len(cycles),
        },
    }


def _typed_cycles(raw: pd.DataFrame, equipment: pd.DataFrame) -> pd.DataFrame:
    """Cycles with typed columns, ordered per truck, their ``cycle_h`` and every truck's model."""
    cycles = raw.copy()
    for col in ("load_start", "dump_end"):
        cycles[col] = pd.to_datetime(cycles[col], utc=True)
    for col in ["payload_t", "truck_engine_hours", *ROUTE_NUMERIC]:
        cycles[col] = pd.to_numeric(cycles[col], errors="coerce").astype(float)
    cycles = cycles.sort_values(["truck_id", "load_start"]).reset_index(drop=True)
    cycles["cycle_h"] = _cycle_hours(cycles)
    models = equipment.set_index("equipment_id")["model"]
    cycles["truck_model"] = cycles["truck_model"].fillna(cycles["truck_id"].map(models))
    return cycles


def _trucks(
    equipment: pd.DataFrame, cycles: pd.DataFrame, cfg: OptimizeSettings
) -> list[dict[str, Any]]:
    """Trucks that ran in the window, with their median payload and worked hours."""
    active = equipment[equipment["equipment_id"].isin(cycles["truck_id"].unique())]
    payload = cycles.groupby("truck_id")["payload_t"].median()
    worked = worked_hours(cycles, cfg.shift)
    default_h = cfg.shift.shift_hours * cfg.scenario.truck_availability
    trucks = [
        {
            "id": str(row.equipment_id),
            "model": str(row.model),
            "payload_t": round(float(payload.get(row.equipment_id, row.capacity_t)), 3),
            "available_h": round(float(worked.get(row.equipment_id, default_h)), 4),
        }
        for row in active.itertuples()
    ]
    if not trucks:
        raise ValueError("no truck of marts.dim_equipment ran a cycle in the lookback window")
    return trucks


def _routes_with_history(
    cycles: pd.DataFrame, planned: set[str], min_cycles: int
) -> list[tuple[str, str]]:
    """(shovel, dump) pairs from a planned shovel with at least ``min_cycles`` recent cycles."""
    counts = cycles.groupby(["shovel_id", "dump_id"]).size()
    return [k for k, n in counts.items() if n >= min_cycles and k[0] in planned]


def _litres_per_cycle(
    cycles: pd.DataFrame,
    equipment: pd.DataFrame,
    trucks: list[dict[str, Any]],
    route_keys: list[tuple[str, str]],
    fleet_models: list[str],
    shift: Shift,
    predictor: Predictor,
    physics: HaulPhysicsSettings,
) -> dict[tuple[str, str, str], float]:
    """Expected litres per cycle of each (shovel, dump, model): the predictor on one
    representative row per road condition seen on the route, weighted by its share of cycles."""
    profile = cycles.groupby(["shovel_id", "dump_id"])[ROUTE_NUMERIC].median()
    road = (
        cycles.assign(road_condition=cycles["road_condition"].fillna("fair"))
        .groupby(["shovel_id", "dump_id"])["road_condition"]
        .value_counts(normalize=True)
        .sort_index()
    )
    by_model = cycles.groupby("truck_model")[["payload_t", "truck_engine_hours"]].median()
    capacity = equipment.groupby("model")["capacity_t"].median()
    rows, keys = [], []
    for shovel_id, dump_id in route_keys:
        for model in fleet_models:
            row = {name: float(profile.loc[(shovel_id, dump_id), name]) for name in ROUTE_NUMERIC}
            rep_payload = by_model["payload_t"].get(model, np.nan)
            if pd.isna(rep_payload):
                rep_payload = float(capacity.get(model))
            engine_h = by_model["truck_engine_hours"].get(model, np.nan)
            for condition, share in road.loc[(shovel_id, dump_id)].items():
                rows.append(
                    {
                        "cycle_id": f"plan-{shovel_id}-{dump_id}-{model}-{condition}",
                        "truck_id": next(t["id"] for t in trucks if t["model"] == model),
                        "shovel_id": shovel_id,
                        "dump_id": dump_id,
                        "load_start": shift.start,
                        "dump_end": shift.start,
                        "payload_t": float(rep_payload),
                        **row,
                        "road_condition": condition,
                        "truck_model": model,
                        "truck_engine_hours": float(engine_h) if pd.notna(engine_h) else np.nan,
                        "capacity_t": float(capacity.get(model, rep_payload)),
                    }
                )
                keys.append((shovel_id, dump_id, model, float(share)))
    predicted = predictor.predict(pd.DataFrame(rows), physics) if rows else np.array([])
    expected: dict[tuple[str, str, str], float] = {}
    for (shovel_id, dump_id, model, share), fuel_l in zip(keys, predicted, strict=True):
        key = (shovel_id, dump_id, model)
        expected[key] = expected.get(key, 0.0) + share * float(fuel_l)
    return expected


def _routes(
    cycles: pd.DataFrame, litres: dict[tuple[str, str, str], float], with_queue: bool
) -> list[dict[str, Any]]:
    """Scenario routes: cycle hours (and queue hours) per model from the model's own cycles on
    the route when it has three or more, else the route's; models without usable litres or
    hours are left out."""
    route_h = cycles.groupby(["shovel_id", "dump_id"])["cycle_h"].median()
    model_route_h = cycles.groupby(["shovel_id", "dump_id", "truck_model"])["cycle_h"].agg(
        ["median", "count"]
    )
    route_q = cycles.groupby(["shovel_id", "dump_id"])["queue_min"].median() / 60.0
    model_route_q = cycles.groupby(["shovel_id", "dump_id", "truck_model"])["queue_min"].median()
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    for (shovel_id, dump_id, model), fuel_l in litres.items():
        if not np.isfinite(fuel_l) or fuel_l <= 0:
            log.warning(
                "no usable litres for %s on %s->%s: model excluded", model, shovel_id, dump_id
            )
            continue
        key = (shovel_id, dump_id, model)
        stats = model_route_h.loc[key] if key in model_route_h.index else None
        own = stats is not None and stats["count"] >= 3
        hours = stats["median"] if own else np.nan
        queue_h = model_route_q.get(key, np.nan) / 60.0 if own else np.nan
        if pd.isna(hours):
            hours = route_h.get((shovel_id, dump_id), np.nan)
        if pd.isna(queue_h):
            queue_h = route_q.get((shovel_id, dump_id), 0.0)
        if pd.isna(hours) or hours <= 0:
            continue
        route = routes.setdefault(
            (shovel_id, dump_id),
            {"shovel": shovel_id, "dump": dump_id, "cycle_h": {}, "fuel_l_per_cycle": {}},
        )
        route["cycle_h"][model] = round(float(hours), 4)
        route["fuel_l_per_cycle"][model] = round(float(fuel_l), 3)
        if with_queue:
            queue = float(queue_h) if pd.notna(queue_h) else 0.0
            route.setdefault("queue_h", {})[model] = round(min(queue, float(hours)), 4)
    return list(routes.values())


def _shovels(
    targets: pd.DataFrame, cycles: pd.DataFrame, fleet_models: list[str], sc: ScenarioBuildSettings
) -> list[dict[str, Any]]:
    """The shift's shovels: target, loading capacity (a high quantile of the loads per clock
    hour seen, at least the default) and accepted models."""
    hourly = cycles.assign(hour=cycles["load_start"].dt.floor("h")).groupby(["shovel_id", "hour"])
    loads_q = hourly.size().groupby(level="shovel_id").quantile(sc.loads_per_h_quantile)
    seen_models = cycles.groupby("shovel_id")["truck_model"].agg(lambda s: sorted(set(s)))
    shovels = []
    for row in targets.itertuples():
        accepted = fleet_models
        if sc.compatibility_from_history and row.shovel_id in seen_models.index:
            accepted = [m for m in seen_models[row.shovel_id] if m in fleet_models] or fleet_models
        shovels.append(
            {
                "id": str(row.shovel_id),
                "target_t": float(row.target_t),
                "max_loads_per_h": float(
                    max(sc.default_max_loads_per_h, loads_q.get(row.shovel_id, 0.0))
                ),
                "truck_models": accepted,
            }
        )
    return shovels
