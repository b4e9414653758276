"""Configuration of the monitor package (section `monitor` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from fuelopt.settings_base import Section, SqlName

Severity = Literal["info", "warning", "high", "critical"]


class DriftSettings(Section):
    """Per-column drift test: PSI on reference-quantile bins plus KS / chi-square."""

    psi_bins: int = Field(ge=2)
    psi_warn: PositiveFloat
    psi_alert: PositiveFloat
    psi_epsilon: PositiveFloat
    alpha: float = Field(gt=0, lt=1)
    correction: Literal["holm", "bonferroni", "none"]
    min_rows: PositiveInt
    max_categories: PositiveInt
    exclude_columns: list[SqlName]
    null_min_blocks: PositiveInt
    null_quantile: float = Field(gt=0, le=1)
    null_margin: PositiveFloat

    @model_validator(mode="after")
    def _ordered(self) -> DriftSettings:
        if self.psi_alert < self.psi_warn:
            raise ValueError("psi_alert must be >= psi_warn")
        return self


class WindowSettings(Section):
    """Which rows form the current window and the fallback reference window."""

    table: SqlName
    time_column: SqlName
    columns: list[SqlName]
    current_hours: PositiveFloat
    reference_days: PositiveFloat
    reference_artifact: str


class AccuracySettings(Section):
    """Tracked forecasts against actuals, per horizon, compared with the champion's validation."""

    actuals_table: SqlName
    window_days: PositiveInt
    min_pairs: PositiveInt
    warning_pct: float
    high_pct: float
    critical_pct: float

    @model_validator(mode="after")
    def _ordered(self) -> AccuracySettings:
        if not 0 <= self.warning_pct <= self.high_pct <= self.critical_pct:
            raise ValueError("need 0 <= warning_pct <= high_pct <= critical_pct")
        return self


class FreshnessSettings(Section):
    """Maximum age, in minutes, of the newest row of each raw source before it is stale."""

    telemetry_max_minutes: PositiveFloat
    operations_max_minutes: PositiveFloat
    high_factor: PositiveFloat


class MonitorAlertSettings(Section):
    """One message per run; the same event is not re-sent within the cooldown."""

    cooldown_hours: PositiveFloat
    drift_runs: PositiveInt
    min_severity: Severity


class RetrainSettings(Section):
    """When the monitor asks for a retrain, and the circuit breaker that limits it."""

    enabled: bool
    when_no_champion: bool
    sustained_runs: PositiveInt
    drift_severity: Literal["warning", "high"]
    accuracy_severity: Severity
    min_period_hours: PositiveFloat


class RollbackSettings(Section):
    """Automatic rollback of the cycle fuel champion judged on shadow scores of live cycles."""

    enabled: bool
    margin_pct: float = Field(ge=0)
    grace_hours: float = Field(ge=0)
    min_cycles: PositiveInt
    sustained_windows: PositiveInt
    severity: Literal["warning", "high", "critical"]


class MonitorSettings(Section):
    drift: DriftSettings
    window: WindowSettings
    accuracy: AccuracySettings
    freshness: FreshnessSettings
    alerting: MonitorAlertSettings
    retrain: RetrainSettings
    rollback: RollbackSettings
