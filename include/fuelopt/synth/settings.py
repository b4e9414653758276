"""Configuration of the synth package (section `synth` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator, model_validator

from fuelopt.haul_physics import ROAD_CONDITIONS
from fuelopt.settings_base import Section, SqlName


class PhysicsSettings(Section):
    """The synthetic mine's true fuel model constants (equations in fuelopt.synth.physics). The
    mine is "the world": these may differ from the product's estimates (section ``physics``)."""

    specific_consumption_l_per_kwh: float = Field(gt=0.15, lt=0.35)
    accessory_load_frac: float = Field(ge=0, lt=0.5)
    idle_load_frac: float = Field(ge=0, lt=0.5)
    loading_load_frac: float = Field(ge=0, lt=1)
    dumping_load_frac: float = Field(ge=0, lt=1)
    drivetrain_efficiency: float = Field(gt=0.3, le=1)
    ramp_grade: float = Field(gt=0.01, lt=0.2)
    max_speed_loaded_kmh: float = Field(gt=5)
    max_speed_empty_kmh: float = Field(gt=5)
    max_speed_downhill_kmh: float = Field(gt=5)
    rolling_resistance: dict[str, float]
    road_condition_probs: dict[str, float]
    payload_mean_frac: float = Field(gt=0.5, lt=1.3)
    payload_sd_frac: float = Field(ge=0, lt=0.3)
    load_min_mean: float = Field(gt=0)
    load_min_sd: float = Field(ge=0)
    dump_min_mean: float = Field(gt=0)
    queue_min_mean: float = Field(ge=0)
    distance_jitter_frac: float = Field(ge=0, lt=0.3)
    operator_sd_frac: float = Field(ge=0, lt=0.3)
    operators_per_truck: int = Field(ge=1)
    wear_frac_per_10k_hours: float = Field(ge=0, lt=0.2)
    # Worn engines (the truck_excess lever): this share of the trucks burns a factor more fuel
    # than its engine hours explain, drawn per truck from the range.
    worn_engine_share: float = Field(ge=0, le=1)
    worn_engine_excess_range: tuple[float, float]
    engine_hours_range: tuple[float, float]
    engine_hours_per_year: float = Field(gt=0)
    loaded_distance_km_range: tuple[float, float]
    empty_distance_ratio_range: tuple[float, float]
    rise_m_range: tuple[float, float]
    fall_m_range: tuple[float, float]

    @field_validator("worn_engine_excess_range")
    @classmethod
    def _excess_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] <= value[1] < 1:
            raise ValueError("needs 0 <= low <= high < 1")
        return value

    @field_validator("rolling_resistance", "road_condition_probs")
    @classmethod
    def _by_condition(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(ROAD_CONDITIONS):
            raise ValueError(f"needs exactly the keys {list(ROAD_CONDITIONS)}")
        return value


class NoiseSettings(Section):
    """Noise added on top of the physics: the irreducible error reported in truth.json."""

    cycle_fuel_sd_frac: float = Field(ge=0, lt=0.5)
    telemetry_fuel_sd_frac: float = Field(ge=0, lt=0.5)
    telemetry_speed_sd_kmh: float = Field(ge=0)
    dispense_sd_frac: float = Field(ge=0, lt=0.2)


class OperationSettings(Section):
    """Shifts, availability, refuelling and planning."""

    shift_start_hour: int = Field(ge=0, le=23)
    shift_change_min: float = Field(ge=0)
    down_shift_prob: float = Field(ge=0, lt=1)
    auxiliary_units: int = Field(ge=0)
    auxiliary_daily_litres: float = Field(ge=0)
    stations: int = Field(ge=1)
    plan_efficiency: float = Field(gt=0, le=1.5)
    plan_lead_hours: float = Field(ge=0)


class DefectSettings(Section):
    """Rates (fraction of rows) of each injected defect; `--clean` turns all of them off."""

    null_rate: float = Field(ge=0, lt=0.2)
    negative_litres_rate: float = Field(ge=0, lt=0.2)
    absurd_litres_rate: float = Field(ge=0, lt=0.2)
    absurd_factor: float = Field(gt=1)
    duplicate_rate: float = Field(ge=0, lt=0.2)
    unknown_truck_rate: float = Field(ge=0, lt=0.2)
    spike_rate: float = Field(ge=0, lt=0.2)
    spike_factor: float = Field(gt=1)
    late_rate: float = Field(ge=0, lt=0.5)
    late_delay_hours_range: tuple[float, float]
    ingest_lag_seconds: float = Field(ge=0)
    reentry_delay_hours: float = Field(ge=0)


class ScenarioSettings(Section):
    """Drift scenarios switched on by `--scenario NAME --scenario-day K`."""

    payload_shift_frac: float
    road_degradation_rr_add: float = Field(ge=0)
    road_degradation_condition_probs: dict[str, float]
    new_truck_model: str
    new_truck_share: float = Field(gt=0, le=1)


class SourceDbSettings(Section):
    """Shapes of the two local source systems `fuelopt synth --load` writes into."""

    telemetry_url_env: str
    telemetry_schema: SqlName
    telemetry_anon_role: SqlName
    operations_schema: SqlName


class ReplaySettings(Section):
    """`fuelopt synth replay`: queue of a plan run in the mine (fuelopt.synth.replay)."""

    shovel_delay_min_mean: float = Field(ge=0)
    history_tolerance_frac: float = Field(gt=0, lt=0.5)


class SynthSettings(Section):
    """Default mine size, start date, rates and noise of the synthetic mine."""

    seed: int
    days: int = Field(ge=1)
    max_days: int = Field(ge=1)
    trucks: int = Field(ge=1, le=899)
    shovels: int = Field(ge=1)
    dumps: int = Field(ge=1)
    start: date
    fleet_mix: dict[str, float]
    telemetry_chunk_days: int = Field(ge=1)
    physics: PhysicsSettings
    noise: NoiseSettings
    operations: OperationSettings
    defects: DefectSettings
    scenarios: ScenarioSettings
    sources: SourceDbSettings
    replay: ReplaySettings

    @model_validator(mode="after")
    def _known_models(self) -> SynthSettings:
        if self.days > self.max_days:
            raise ValueError(f"days {self.days} is above max_days {self.max_days}")
        from fuelopt.synth.truck_models import TRUCK_MODELS

        for name in [*self.fleet_mix, self.scenarios.new_truck_model]:
            if name not in TRUCK_MODELS:
                raise ValueError(f"unknown truck model {name!r}; known: {sorted(TRUCK_MODELS)}")
        return self
