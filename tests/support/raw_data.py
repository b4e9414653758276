"""Fill the raw.* tables of a test warehouse with COPY (stand-in for fuelopt.warehouse.loader).

Each call is one load batch (one ``_batch_id``, one ``_loaded_at``) with its ops.load_audit row.
:func:`load_mine_days` loads the synthetic mine day by day as the nightly extract would: rows go
to the batch of the day they reached the source (late telemetry lands in a later batch).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import psycopg

from fuelopt.synth import MineSpec

RAW_COLUMNS: dict[str, list[str]] = {
    "truck_telemetry": [
        "truck_id", "ts", "fuel_rate_lph", "engine_load_pct", "speed_kmh", "payload_t",
        "grade_pct", "status",
    ],
    "haul_cycles": [
        "cycle_id", "truck_id", "shovel_id", "dump_id", "load_start", "dump_end", "payload_t",
        "loaded_distance_km", "empty_distance_km", "rise_m", "fall_m", "queue_min",
        "avg_speed_kmh", "road_condition", "fuel_l", "operator_id",
    ],
    "equipment": [
        "equipment_id", "equipment_type", "model", "capacity_t", "commissioned_on",
        "engine_hours",
    ],
    "fuel_dispatch": ["dispatch_id", "equipment_id", "dispensed_at", "litres", "station_id"],
    "shift_plan": ["shift_date", "shift", "shovel_id", "target_t"],
}  # fmt: skip


def copy_raw(
    uri: str,
    table: str,
    frame: pd.DataFrame,
    loaded_at: datetime | None = None,
    batch_id: str | None = None,
    source: str = "test",
) -> int:
    """Append ``frame`` to ``raw.<table>`` as one load batch; returns the rows copied."""
    columns = RAW_COLUMNS[table]
    loaded_at = loaded_at or datetime.now(UTC)
    batch_id = batch_id or f"{table}-{uuid.uuid4().hex[:12]}"
    rows = frame.reindex(columns=columns).astype(object)
    rows = rows.where(rows.notna(), None)
    names = ", ".join([*columns, "_loaded_at", "_batch_id", "_source"])
    copy_sql = f"COPY raw.{table} ({names}) FROM STDIN"
    with psycopg.connect(uri) as conn:
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for values in rows.itertuples(index=False, name=None):
                copy.write_row([*values, loaded_at, batch_id, source])
        conn.execute(
            "INSERT INTO ops.load_audit (batch_id, source, table_name, rows_read, rows_loaded,"
            " seconds, loaded_at) VALUES (%s, %s, %s, %s, %s, 0, %s)",
            (batch_id, source, table, len(rows), len(rows), loaded_at),
        )
    return len(rows)


def load_operations(
    uri: str, frames: dict[str, pd.DataFrame], loaded_at: datetime | None = None
) -> dict[str, int]:
    """Copy each operations frame ('equipment', 'haul_cycles', ...) as one batch per table."""
    return {
        name: copy_raw(uri, name, frame, loaded_at=loaded_at)
        for name, frame in frames.items()
        if name in RAW_COLUMNS
    }


def load_telemetry(
    uri: str, chunks: Iterable[pd.DataFrame], loaded_at: datetime | None = None
) -> int:
    """Copy telemetry chunks, one batch each."""
    return sum(copy_raw(uri, "truck_telemetry", chunk, loaded_at=loaded_at) for chunk in chunks)


DAY_START_HOUR = 6  # synthetic mine days run 06:00-06:00 UTC (fuelopt.synth.generate)
EVENT_TIME = {
    "haul_cycles": "dump_end",
    "fuel_dispatch": "dispensed_at",
    "truck_telemetry": "ingested_at",
}


@dataclass
class MineData:
    """Every table of a synthetic mine, in memory, to load day by day."""

    spec: MineSpec
    operations: dict[str, pd.DataFrame]
    telemetry: pd.DataFrame

    @classmethod
    def generate(cls, spec: MineSpec) -> MineData:
        from fuelopt.synth import generate_operations, iter_telemetry

        ops = generate_operations(spec, include_truth=True)
        tel = pd.concat(list(iter_telemetry(spec, with_ingested_at=True)), ignore_index=True)
        return cls(spec, ops, tel)

    def day_index(self, table: str, frame: pd.DataFrame) -> pd.Series:
        """Mine day (0-based) of each row: shift date for plans, else its event/arrival time."""
        start = pd.Timestamp(self.spec.start, tz="UTC") + pd.Timedelta(hours=DAY_START_HOUR)
        if table == "shift_plan":
            return (pd.to_datetime(frame["shift_date"]) - pd.Timestamp(self.spec.start)).dt.days
        times = pd.to_datetime(frame[EVENT_TIME[table]], utc=True).fillna(start)
        return ((times - start) // pd.Timedelta(days=1)).clip(lower=0)

    def load_day(self, uri: str, day: int, loaded_at: datetime) -> dict[str, int]:
        """Load day ``day``'s batch of every table (equipment: the day's register snapshot)."""
        counts = {"equipment": copy_raw(uri, "equipment", self.operations["equipment"], loaded_at)}
        frames = {**self.operations, "truck_telemetry": self.telemetry}
        for table in ("shift_plan", "haul_cycles", "fuel_dispatch", "truck_telemetry"):
            frame = frames[table]
            part = frame[self.day_index(table, frame).to_numpy() == day]
            if table == "truck_telemetry" and day == self.spec.days - 1:
                part = frame[self.day_index(table, frame).to_numpy() >= day]
            counts[table] = copy_raw(uri, table, part, loaded_at)
        return counts


def load_mine_days(
    uri: str, mine: MineData, days: Iterable[int], first_loaded_at: datetime | None = None
) -> None:
    """Load ``days`` of ``mine``, batch of day d loaded at ``first_loaded_at + d days``."""
    base = first_loaded_at or datetime.now(UTC) - timedelta(days=mine.spec.days)
    for day in days:
        mine.load_day(uri, day, base + timedelta(days=day))
