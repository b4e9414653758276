"""Defects injected into the synthetic sources at the rates of `synth.defects` in the config.

Each affected row gets a ``defect`` label (kept out of the contract columns) so tests and
truth.json can count them. Draws are made for every row whatever the rates, so a rate change
never shifts the other random streams. Kinds: ``null`` (one field emptied), ``negative``
(litres sign flipped), ``absurd`` (litres times ``absurd_factor``), ``unknown_truck`` (an id not
in ``equipment``), ``spike`` (a telemetry sensor spike), ``duplicate`` (telemetry: the exact row
twice; operations: the record entered twice under a new id ending in ``-R``), ``late``
(telemetry ingested hours after ``ts``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fuelopt.synth.settings import DefectSettings

CYCLE_NULLABLE = ("fuel_l", "payload_t", "avg_speed_kmh", "queue_min", "road_condition")
DISPATCH_NULLABLE = ("litres", "station_id")  # never the watermark column
TELEMETRY_NULLABLE = ("fuel_rate_lph", "engine_load_pct", "speed_kmh", "payload_t", "status")


def _unknown_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Truck ids that no fleet has (fleets stop at T899)."""
    return np.array([f"T{900 + i}" for i in rng.integers(0, 99, size=n)])


def _label(frame: pd.DataFrame, mask: np.ndarray, kind: str) -> None:
    current = frame["defect"].to_numpy(dtype=object)
    current[mask] = np.where(current[mask] == "", kind, current[mask] + "," + kind)
    frame["defect"] = current


def _set_null(
    frame: pd.DataFrame, mask: np.ndarray, which: np.ndarray, cols: tuple[str, ...]
) -> None:
    for i, col in enumerate(cols):
        rows = mask & (which == i)
        if rows.any():
            frame.loc[rows, col] = None


def _litre_defects(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    cfg: DefectSettings,
    litres: str,
    nullable: tuple[str, ...],
    id_col: str,
    truck_col: str,
) -> pd.DataFrame:
    n = len(frame)
    frame = frame.copy()
    frame["defect"] = np.full(n, "", dtype=object)
    draws = rng.random((5, n))
    which = rng.integers(len(nullable), size=n)
    unknown = _unknown_ids(rng, n)
    null, neg, absurd, unk, dup = (draws[i] < r for i, r in enumerate(
        (cfg.null_rate, cfg.negative_litres_rate, cfg.absurd_litres_rate,
         cfg.unknown_truck_rate, cfg.duplicate_rate)
    ))  # fmt: skip
    frame.loc[neg, litres] = -frame.loc[neg, litres]
    frame.loc[absurd, litres] = frame.loc[absurd, litres] * cfg.absurd_factor
    if truck_col != "truck_id":  # fuel_dispatch: only trucks' ids are corrupted
        unk = unk & frame[truck_col].str.startswith("T").to_numpy()
    frame.loc[unk, truck_col] = unknown[unk]
    _set_null(frame, null, which, nullable)
    for mask, kind in (
        (null, "null"),
        (neg, "negative"),
        (absurd, "absurd"),
        (unk, "unknown_truck"),
    ):
        _label(frame, mask, kind)
    if dup.any():
        copies = frame[dup].copy()
        copies[id_col] = copies[id_col] + "-R"
        copies["defect"] = "duplicate"
        copies.index = copies.index + 0.5
        frame = pd.concat([frame, copies]).sort_index(kind="stable").reset_index(drop=True)
    return frame


def haul_cycles(frame: pd.DataFrame, rng: np.random.Generator, cfg: DefectSettings) -> pd.DataFrame:
    """One day of ``haul_cycles`` with defects."""
    return _litre_defects(frame, rng, cfg, "fuel_l", CYCLE_NULLABLE, "cycle_id", "truck_id")


def fuel_dispatch(
    frame: pd.DataFrame, rng: np.random.Generator, cfg: DefectSettings
) -> pd.DataFrame:
    """One day of ``fuel_dispatch`` with defects."""
    return _litre_defects(
        frame, rng, cfg, "litres", DISPATCH_NULLABLE, "dispatch_id", "equipment_id"
    )


def telemetry(
    frame: pd.DataFrame, rng: np.random.Generator, cfg: DefectSettings, *, clean: bool
) -> pd.DataFrame:
    """Telemetry rows with defects (unless ``clean``) and their ``ingested_at`` time."""
    n = len(frame)
    frame = frame.copy()
    frame["defect"] = np.full(n, "", dtype=object)
    draws = rng.random((6, n))
    which = rng.integers(len(TELEMETRY_NULLABLE), size=n)
    unknown = _unknown_ids(rng, n)
    delay_h = rng.uniform(*cfg.late_delay_hours_range, size=n)
    lag = pd.to_timedelta(np.full(n, cfg.ingest_lag_seconds), unit="s")
    if clean:
        frame["ingested_at"] = frame["ts"] + lag
        return frame
    null, neg, spike, unk, dup, late = (draws[i] < r for i, r in enumerate(
        (cfg.null_rate, cfg.negative_litres_rate, cfg.spike_rate, cfg.unknown_truck_rate,
         cfg.duplicate_rate, cfg.late_rate)
    ))  # fmt: skip
    frame.loc[neg, "fuel_rate_lph"] = -frame.loc[neg, "fuel_rate_lph"]
    for col in ("fuel_rate_lph", "engine_load_pct"):
        frame.loc[spike, col] = (frame.loc[spike, col] * cfg.spike_factor).round(2)
    frame.loc[unk, "truck_id"] = unknown[unk]
    _set_null(frame, null, which, TELEMETRY_NULLABLE)
    frame["ingested_at"] = frame["ts"] + np.where(
        late, pd.to_timedelta(np.round(delay_h * 3600.0), unit="s"), lag
    )
    for mask, kind in (
        (null, "null"), (neg, "negative"), (spike, "spike"), (unk, "unknown_truck"),
        (late, "late"),
    ):  # fmt: skip
        _label(frame, mask, kind)
    if dup.any():
        copies = frame[dup].copy()
        copies["defect"] = "duplicate"
        copies.index = copies.index + 0.5
        frame = pd.concat([frame, copies]).sort_index(kind="stable").reset_index(drop=True)
    return frame
