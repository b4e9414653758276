"""Configuration of the dashboard (section `dashboard` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from fuelopt.settings_base import Section


class DashboardSettings(Section):
    """``fuelopt dashboard``: where Streamlit listens and how much history it shows."""

    host: str
    port: int = Field(ge=1, le=65535)
    savings_shifts: PositiveInt  # shifts in the savings chart
    drift_checks: PositiveInt  # latest drift/accuracy checks listed
