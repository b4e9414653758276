"""Configuration of the reports package (section `reports` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from pydantic import Field

from fuelopt.settings_base import Section, SqlName


class ReportSettings(Section):
    """Prices, emission factor, where reports go and how much each one shows."""

    # Site-specific: take it from the fuel contract (docs/domain.md#cost-and-co2).
    diesel_price_per_l: float = Field(ge=0)
    currency: str = Field(min_length=1, max_length=8)
    # kg of CO2 per litre of diesel burned (docs/domain.md#cost-and-co2).
    co2_kg_per_l: float = Field(gt=0)
    # Sub-folders of paths.artifacts_dir.
    shift_subdir: str
    weekly_subdir: str
    # The savings mart read for the levers of the previous shift, when it exists.
    savings_mart: SqlName
    levers_top_n: int = Field(ge=1, le=50)
    # The main job's summary: the biggest levers of the last days of the savings mart.
    summary_levers_top_n: int = Field(ge=1, le=50)
    summary_levers_days: int = Field(ge=1, le=366)
    summary_adherence_shifts: int = Field(ge=1, le=50)
    # Weeks shown in the weekly report's litres-per-tonne trend (the report's week included).
    trend_weeks: int = Field(ge=1, le=52)
    # The weekly DAG reports the ISO week of (the run's data end - this): the last whole day.
    weekly_data_lag_hours: float = Field(ge=0, le=168)
    # Deadline of each warehouse query of a report.
    query_timeout_seconds: float = Field(gt=0)
