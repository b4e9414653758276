"""Scenario of one shift (docs/contracts.md §4): typed objects, strict loading and validation.

Every error raises :class:`fuelopt.errors.BadInput` naming the field and the offending id, e.g.
``routes[3] (shovel S9): unknown shovel``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuelopt.errors import BadInput


@dataclass(frozen=True)
class Truck:
    id: str
    model: str
    payload_t: float
    available_h: float


@dataclass(frozen=True)
class Shovel:
    id: str
    target_t: float
    max_loads_per_h: float
    truck_models: tuple[str, ...]


@dataclass(frozen=True)
class Dump:
    id: str
    capacity_t: float


@dataclass(frozen=True)
class Route:
    shovel: str
    dump: str
    cycle_h: dict[str, float]
    fuel_l_per_cycle: dict[str, float]
    queue_h: dict[str, float] = field(default_factory=dict)  # optional: queue within cycle_h

    def usable_by(self, model: str) -> bool:
        """A model missing from either dict cannot use the route (docs/contracts.md §4)."""
        return model in self.cycle_h and model in self.fuel_l_per_cycle


@dataclass(frozen=True)
class Queue:
    """Optional queue model (docs/contracts.md §4.1): fuelopt.optimize.queueing."""

    load_cv2: float
    idle_l_per_h: float
    max_trucks_per_shovel: int


@dataclass(frozen=True)
class Scenario:
    shift_hours: float
    trucks: tuple[Truck, ...]
    shovels: tuple[Shovel, ...]
    dumps: tuple[Dump, ...]
    routes: tuple[Route, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    queue: Queue | None = None

    def shovel(self, shovel_id: str) -> Shovel:
        return next(s for s in self.shovels if s.id == shovel_id)

    def max_loads(self, shovel: Shovel) -> float:
        """Loads a shovel can make in the shift: ``max_loads_per_h x shift_hours``."""
        return shovel.max_loads_per_h * self.shift_hours

    def routes_for(self, truck: Truck, shovel: Shovel) -> list[tuple[int, Route]]:
        """(index, route) pairs a truck may run at a shovel: model accepted and in the route."""
        if truck.model not in shovel.truck_models:
            return []
        return [
            (i, r)
            for i, r in enumerate(self.routes)
            if r.shovel == shovel.id and r.usable_by(truck.model)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "shift_hours": self.shift_hours,
            "trucks": [t.__dict__ for t in self.trucks],
            "shovels": [{**s.__dict__, "truck_models": list(s.truck_models)} for s in self.shovels],
            "dumps": [d.__dict__ for d in self.dumps],
            "routes": [
                {k: v for k, v in r.__dict__.items() if k != "queue_h" or v} for r in self.routes
            ],
            **({"queue": self.queue.__dict__} if self.queue else {}),
            **self.extra,
        }


def _number(obj: dict, key: str, where: str, *, positive: bool = False) -> float:
    if key not in obj:
        raise BadInput(f"{where}: missing field '{key}'")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(f"{where}: field '{key}' must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise BadInput(f"{where}: field '{key}' must be finite, got {value!r}")
    if value < 0 or (positive and value == 0):
        kind = "positive" if positive else "non-negative"
        raise BadInput(f"{where}: field '{key}' must be {kind}, got {value!r}")
    return value


def _text(obj: dict, key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{where}: field '{key}' must be a non-empty string, got {value!r}")
    return value


def _objects(data: dict, key: str, *, allow_empty: bool = False) -> list[dict]:
    items = data.get(key)
    if not isinstance(items, list):
        raise BadInput(f"field '{key}' must be a list, got {type(items).__name__}")
    if not items and not allow_empty:
        raise BadInput(f"field '{key}' is empty")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadInput(f"{key}[{i}]: must be an object, got {item!r}")
    return items


def _unique_ids(items: list[dict], key: str) -> list[str]:
    ids: list[str] = []
    for i, item in enumerate(items):
        ident = _text(item, "id", f"{key}[{i}]")
        if ident in ids:
            raise BadInput(f"{key}[{i}] (id {ident}): duplicate id")
        ids.append(ident)
    return ids


def _model_dict(route: dict, key: str, where: str) -> dict[str, float]:
    value = route.get(key)
    if not isinstance(value, dict) or not value:
        raise BadInput(f"{where}: field '{key}' must be a non-empty object of model: number")
    out = {}
    for model in value:
        out[model] = _number(value, model, f"{where} {key}", positive=(key == "cycle_h"))
    return out


def parse_scenario(data: Any) -> Scenario:
    """Validate a decoded scenario document and build a :class:`Scenario`."""
    if not isinstance(data, dict):
        raise BadInput("scenario: top level must be an object")
    shift_hours = _number(data, "shift_hours", "scenario", positive=True)
    raw_trucks = _objects(data, "trucks")
    raw_shovels = _objects(data, "shovels")
    raw_dumps = _objects(data, "dumps")
    raw_routes = _objects(data, "routes")
    _unique_ids(raw_trucks, "trucks")
    shovel_ids = _unique_ids(raw_shovels, "shovels")
    dump_ids = _unique_ids(raw_dumps, "dumps")

    trucks = []
    for t in raw_trucks:
        where = f"trucks (id {t['id']})"
        trucks.append(
            Truck(
                id=t["id"],
                model=_text(t, "model", where),
                payload_t=_number(t, "payload_t", where, positive=True),
                available_h=_number(t, "available_h", where),
            )
        )
    models = {t.model for t in trucks}

    shovels = []
    for s in raw_shovels:
        where = f"shovels (id {s['id']})"
        accepted = s.get("truck_models")
        if not isinstance(accepted, list) or not all(isinstance(m, str) and m for m in accepted):
            raise BadInput(f"{where}: field 'truck_models' must be a list of model names")
        if not accepted:
            raise BadInput(f"{where}: field 'truck_models' is empty")
        shovels.append(
            Shovel(
                id=s["id"],
                target_t=_number(s, "target_t", where),
                max_loads_per_h=_number(s, "max_loads_per_h", where),
                truck_models=tuple(accepted),
            )
        )

    dumps = [
        Dump(id=d["id"], capacity_t=_number(d, "capacity_t", f"dumps (id {d['id']})"))
        for d in raw_dumps
    ]

    routes: list[Route] = []
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(raw_routes):
        where = f"routes[{i}]"
        shovel = _text(r, "shovel", where)
        dump = _text(r, "dump", where)
        where = f"routes[{i}] ({shovel}->{dump})"
        if shovel not in shovel_ids:
            raise BadInput(f"{where}: field 'shovel': unknown shovel {shovel}")
        if dump not in dump_ids:
            raise BadInput(f"{where}: field 'dump': unknown dump {dump}")
        if (shovel, dump) in seen:
            raise BadInput(f"{where}: duplicate route for shovel {shovel} and dump {dump}")
        seen.add((shovel, dump))
        routes.append(
            Route(
                shovel=shovel,
                dump=dump,
                cycle_h=_model_dict(r, "cycle_h", where),
                fuel_l_per_cycle=_model_dict(r, "fuel_l_per_cycle", where),
                queue_h=_model_dict(r, "queue_h", where) if "queue_h" in r else {},
            )
        )

    # A fleet model no route can serve is almost always a typo in the route dicts.
    for m in sorted(models):
        if not any(r.usable_by(m) for r in routes):
            raise BadInput(
                f"trucks (model {m}): model missing from every route's cycle_h/fuel_l_per_cycle"
            )
    known = {"shift_hours", "trucks", "shovels", "dumps", "routes", "queue"}
    extra = {k: v for k, v in data.items() if k not in known}
    queue = _queue(data["queue"]) if "queue" in data else None
    return Scenario(
        shift_hours, tuple(trucks), tuple(shovels), tuple(dumps), tuple(routes), extra, queue
    )


def _queue(value: Any) -> Queue:
    if not isinstance(value, dict):
        raise BadInput("queue: must be an object")
    cap = value.get("max_trucks_per_shovel")
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise BadInput(f"queue: field 'max_trucks_per_shovel' must be an integer >= 1, got {cap!r}")
    return Queue(
        load_cv2=_number(value, "load_cv2", "queue"),
        idle_l_per_h=_number(value, "idle_l_per_h", "queue"),
        max_trucks_per_shovel=cap,
    )


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario JSON file."""
    from fuelopt.frames import read_json

    path = Path(path)
    data = read_json(path)
    try:
        return parse_scenario(data)
    except BadInput as exc:
        raise BadInput(f"{path}: {exc}") from None
