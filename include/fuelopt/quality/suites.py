"""Expectation suites as code: what each Great Expectations gate between layers checks.

Raw suites validate each load batch once (``ops.load_audit`` batch, rows of its ``_batch_id``),
not the whole table, so a bad load fails on its own and the cost does not grow with history; they
tolerate, up to the gate's threshold (``mostly``), every defect the quarantine has a rule for, so a
rule with a quarantine never stops the transform below it; cleansed and feature suites are strict
and validate whole tables. Figures that depend on the warehouse (audit row counts, distinct raw
keys, the freshness floor) are measured first and passed in as :class:`Facts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fuelopt.quality.settings import QualitySettings


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: the table it validates and the facts it needs measured."""

    name: str
    schema_key: str  # key of warehouse.schemas
    table: str
    audit_table: str | None = None  # ops.load_audit table_name: validated batch by batch
    raw_key: str | None = None  # raw.haul_cycles column whose distinct count bounds the rows


@dataclass(frozen=True)
class Facts:
    """Figures measured in the warehouse just before validating."""

    now: datetime
    audit_rows: int | None = None  # rows the load audit says the batch loaded
    audit_exact: bool = True  # False: a later load may have replaced some (at most audit_rows)
    check_freshness: bool = True  # the newest batch of its table: its _loaded_at must be recent
    raw_distinct_keys: int | None = None
    cleansed_rows: int | None = None


SUITES: dict[str, SuiteSpec] = {
    s.name: s
    for s in (
        SuiteSpec("raw_truck_telemetry", "raw", "truck_telemetry", audit_table="truck_telemetry"),
        SuiteSpec("raw_haul_cycles", "raw", "haul_cycles", audit_table="haul_cycles"),
        SuiteSpec(
            "cleansed_haul_cycles", "cleansed", "stg_operations__haul_cycles", raw_key="cycle_id"
        ),
        SuiteSpec("features_cycle_features", "features", "cycle_features"),
        SuiteSpec("features_daily_site_features", "features", "daily_site_features"),
    )
}

GATES: dict[str, tuple[str, ...]] = {
    "raw": ("raw_truck_telemetry", "raw_haul_cycles"),
    "cleansed": ("cleansed_haul_cycles",),
    "features": ("features_cycle_features", "features_daily_site_features"),
}


def _common(spec: SuiteSpec, facts: Facts, cfg: QualitySettings) -> list[Any]:
    import great_expectations as gx

    out: list[Any] = []
    if facts.audit_rows is not None and not facts.audit_exact:
        out.append(gx.expectations.ExpectTableRowCountToBeBetween(max_value=facts.audit_rows))
    else:
        out.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=cfg.gates.min_rows))
        if facts.audit_rows is not None:
            out.append(gx.expectations.ExpectTableRowCountToEqual(value=facts.audit_rows))
    if spec.schema_key == "raw" and facts.check_freshness:
        floor = facts.now - timedelta(hours=cfg.gates.raw_max_staleness_hours)
        out.append(gx.expectations.ExpectColumnMaxToBeBetween(column="_loaded_at", min_value=floor))
    return out


def _not_null(columns: list[str], mostly: float = 1.0) -> list[Any]:
    import great_expectations as gx

    return [gx.expectations.ExpectColumnValuesToNotBeNull(column=c, mostly=mostly) for c in columns]


def _between(ranges: dict[str, tuple[float, float | None]], mostly: float = 1.0) -> list[Any]:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=c, min_value=lo, max_value=hi, mostly=mostly
        )
        for c, (lo, hi) in ranges.items()
    ]


def batch_mostly(share: float, facts: Facts, cfg: QualitySettings) -> float:
    """``mostly`` for a raw batch: the share, loosened so that ``raw_tolerated_rows`` bad rows
    pass in a small batch (a 3-row correction with one null is the quarantine's, not a stop)."""
    rows = facts.audit_rows
    if not rows:
        return share
    tolerated = (rows - cfg.gates.raw_tolerated_rows) / rows - 1e-9  # exactly that many pass
    return max(0.0, min(share, tolerated))


def expectations(spec: SuiteSpec, facts: Facts, cfg: QualitySettings) -> list[Any]:
    """The expectations of suite ``spec`` given the measured ``facts``."""
    import great_expectations as gx

    lim, gates = cfg.limits, cfg.gates
    raw_mostly = batch_mostly(1.0 - gates.max_null_rate, facts, cfg)
    in_range = batch_mostly(gates.raw_min_in_range_share, facts, cfg)
    out = _common(spec, facts, cfg)
    if spec.name == "raw_truck_telemetry":
        checked = ["truck_id", "ts", "fuel_rate_lph", "engine_load_pct", "speed_kmh"]
        out += _not_null([*checked, "payload_t", "status"], raw_mostly)
        out += _between(
            {
                "fuel_rate_lph": (0, lim.max_fuel_rate_lph),
                "speed_kmh": (0, lim.max_speed_kmh),
                "payload_t": (0, lim.max_payload_t),
            },
            in_range,
        )
    elif spec.name == "raw_haul_cycles":
        checked = ["cycle_id", "truck_id", "load_start", "dump_end", "fuel_l", "payload_t"]
        out += _not_null([*checked, "avg_speed_kmh", "queue_min", "road_condition"], raw_mostly)
        out += _between(
            {
                "payload_t": (0, lim.max_payload_t),
                "fuel_l": (0, lim.max_cycle_fuel_l),
                "avg_speed_kmh": (0, lim.max_speed_kmh),
            },
            in_range,
        )
        out.append(
            gx.expectations.ExpectColumnValuesToBeUnique(
                column="cycle_id", mostly=batch_mostly(0.999, facts, cfg)
            )
        )
    elif spec.name == "cleansed_haul_cycles":
        out += _not_null(["cycle_id", "truck_id", "load_start", "dump_end", "payload_t", "fuel_l"])
        out += _between(
            {
                "payload_t": (0, lim.max_payload_t),
                "fuel_l": (0, lim.max_cycle_fuel_l),
                "avg_speed_kmh": (0, lim.max_speed_kmh),
                "queue_min": (0, None),
            }
        )
        out.append(gx.expectations.ExpectColumnValuesToBeUnique(column="cycle_id"))
        out.append(
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="road_condition", value_set=["good", "fair", "poor"]
            )
        )
        if facts.raw_distinct_keys is not None:
            low = int(facts.raw_distinct_keys * (1.0 - gates.max_reject_share))
            out.append(
                gx.expectations.ExpectTableRowCountToBeBetween(
                    min_value=low, max_value=facts.raw_distinct_keys
                )
            )
    elif spec.name == "features_cycle_features":
        out += _not_null(["cycle_id", "truck_model", "truck_engine_hours", "tonne_km", "fuel_l"])
        out += _between(
            {
                "payload_t": (0, lim.max_payload_t),
                "fuel_l": (0, lim.max_cycle_fuel_l),
                "cycle_hours": (0, None),
                "queue_share": (0, 1),
            }
        )
        out.append(gx.expectations.ExpectColumnValuesToBeUnique(column="cycle_id"))
        if facts.cleansed_rows is not None:
            low = int(facts.cleansed_rows * (1.0 - gates.max_reject_share))
            out.append(
                gx.expectations.ExpectTableRowCountToBeBetween(
                    min_value=low, max_value=facts.cleansed_rows
                )
            )
    elif spec.name == "features_daily_site_features":
        out += _not_null(["date", "planned_t", "tonnes"])  # fuel_l: null = no dispatch yet
        out += _between({"fuel_l": (0, None), "tonnes": (0, None), "day_of_week": (0, 6)})
        out.append(gx.expectations.ExpectColumnValuesToBeUnique(column="date"))
    else:
        raise KeyError(f"no expectations defined for suite {spec.name!r}")
    return out
