"""Configuration of the quality package (section `quality` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from fuelopt.settings_base import Section, SqlName


class PhysicalLimits(Section):
    """Ranges with physical meaning, shared by the dbt quarantine rules and the GX suites."""

    max_payload_t: float = Field(gt=0)
    max_cycle_fuel_l: float = Field(gt=0)
    max_speed_kmh: float = Field(gt=0)
    max_fuel_rate_lph: float = Field(gt=0)
    max_engine_load_pct: float = Field(gt=0)
    max_dispatch_litres: float = Field(gt=0)
    max_target_t: float = Field(gt=0)
    max_stationary_load_pct: float = Field(gt=0)


class DbtSettings(Section):
    """How dbt runs: target, threads, incremental look-backs and the docs output folder."""

    target: str
    threads: int = Field(ge=1, le=16)
    incremental_lookback_hours: int = Field(ge=0)
    future_tolerance_minutes: int = Field(ge=0, le=7 * 24 * 60)
    truck_rolling_days: int = Field(ge=1)
    forecast_performance_window_days: int = Field(ge=1)
    docs_dir: Path
    manifest_path: Path
    cosmos_profile_schema: SqlName


class FuelSettings(Section):
    """Telemetry per truck-shift: reconciliation tolerances and saving-lever benchmarks."""

    overspeed_kmh: float = Field(gt=0)
    cycle_tolerance_pct: float = Field(gt=0, le=100)
    dispatch_tolerance_pct: float = Field(gt=0, le=100)
    reconcile_min_l: float = Field(ge=0)
    complete_coverage: float = Field(gt=0, le=1)
    idle_benchmark_min: float = Field(ge=0, le=720)
    underload_target_frac: float = Field(gt=0, le=1.5)
    road_min_baseline_cycles: int = Field(ge=1)
    plan_comparison_days: int = Field(ge=1, le=366)
    truck_excess_threshold_pct: float = Field(ge=0, le=100)
    operator_benchmark_pct: float = Field(ge=0, le=100)
    operator_min_cycles: int = Field(ge=1)


class GateSettings(Section):
    """Great Expectations gate thresholds between the warehouse layers."""

    max_null_rate: float = Field(ge=0, lt=1)
    raw_min_in_range_share: float = Field(gt=0, le=1)
    max_reject_share: float = Field(ge=0, lt=1)
    raw_max_staleness_hours: float = Field(gt=0)
    min_rows: int = Field(ge=0)
    raw_tolerated_rows: int = Field(ge=0)  # a small batch's one defect is the quarantine's


class QualitySettings(Section):
    """Limits, dbt run settings, GX gates and where GX data docs are built."""

    limits: PhysicalLimits
    dbt: DbtSettings
    fuel: FuelSettings
    gates: GateSettings
    data_docs_dir: Path
