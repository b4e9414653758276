"""Configuration of the product's haul physics (section ``physics`` of include/config/fuelopt.yaml;
formulas in :mod:`fuelopt.haul_physics`). Used by the optimiser's fallback litres and the cycle
model's physics features, which store a copy in their MLflow meta at training time."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from fuelopt.haul_physics import ROAD_CONDITIONS
from fuelopt.settings_base import Section

RollingResistance = Annotated[float, Field(gt=0, lt=0.2)]


class HaulPhysicsSettings(Section):
    """The product's estimates (docs/domain.md#haul-truck-fuel and #roads), not the synthetic
    mine's true constants (``synth.physics``)."""

    # Per road condition; exactly the conditions of fuelopt.haul_physics.ROAD_CONDITIONS.
    rolling_resistance: dict[str, RollingResistance]
    # A missing or unknown road condition is costed as this one.
    default_road_condition: str
    # Empty mass when the rated payload is unknown (the cycle model's input has no capacity).
    nominal_empty_mass_t: float = Field(gt=0)
    # Empty mass as a fraction of rated payload when it is known (the optimiser's scenarios).
    empty_mass_ratio: float = Field(gt=0, lt=2)
    engine_efficiency: float = Field(gt=0, le=1)
    diesel_mj_per_l: float = Field(gt=0)
    idle_lph: float = Field(ge=0)
    # Minutes of loading and dumping per cycle, burned at idle_lph.
    load_dump_min: float = Field(ge=0)

    @field_validator("rolling_resistance")
    @classmethod
    def _by_condition(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(ROAD_CONDITIONS):
            raise ValueError(f"needs exactly the keys {list(ROAD_CONDITIONS)}")
        return value

    @field_validator("default_road_condition")
    @classmethod
    def _known_condition(cls, value: str) -> str:
        if value not in ROAD_CONDITIONS:
            raise ValueError(f"must be one of {list(ROAD_CONDITIONS)}")
        return value
