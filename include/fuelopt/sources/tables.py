"""Column contracts of the source tables (docs/contracts.md §1), in raw-layer order."""

from __future__ import annotations

TELEMETRY_COLUMNS: tuple[str, ...] = (
    "truck_id",
    "ts",
    "fuel_rate_lph",
    "engine_load_pct",
    "speed_kmh",
    "payload_t",
    "grade_pct",
    "status",
)

OPERATIONS_COLUMNS: dict[str, tuple[str, ...]] = {
    "equipment": (
        "equipment_id",
        "equipment_type",
        "model",
        "capacity_t",
        "commissioned_on",
        "engine_hours",
    ),
    "haul_cycles": (
        "cycle_id",
        "truck_id",
        "shovel_id",
        "dump_id",
        "load_start",
        "dump_end",
        "payload_t",
        "loaded_distance_km",
        "empty_distance_km",
        "rise_m",
        "fall_m",
        "queue_min",
        "avg_speed_kmh",
        "road_condition",
        "fuel_l",
        "operator_id",
    ),
    "fuel_dispatch": ("dispatch_id", "equipment_id", "dispensed_at", "litres", "station_id"),
    "shift_plan": ("shift_date", "shift", "shovel_id", "target_t"),
}

# Contract columns an older source schema may lack: read as a typed NULL, with a warning.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"haul_cycles": ("operator_id",)}

METADATA_COLUMNS: tuple[str, ...] = ("_loaded_at", "_batch_id", "_source")

_TIMESTAMPS = {"ts", "load_start", "dump_end", "dispensed_at", "modified_at"}
_DATES = {"commissioned_on", "shift_date"}
_FLOATS = {
    "fuel_rate_lph",
    "engine_load_pct",
    "speed_kmh",
    "payload_t",
    "grade_pct",
    "loaded_distance_km",
    "empty_distance_km",
    "rise_m",
    "fall_m",
    "queue_min",
    "avg_speed_kmh",
    "fuel_l",
    "capacity_t",
    "engine_hours",
    "litres",
    "target_t",
}


def column_kind(column: str) -> str:
    """``timestamp``, ``date``, ``float`` or ``string``: the type of a source column."""
    if column in _TIMESTAMPS:
        return "timestamp"
    if column in _DATES:
        return "date"
    return "float" if column in _FLOATS else "string"
