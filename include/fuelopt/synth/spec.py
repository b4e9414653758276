"""What mine to generate: size, dates, seed, defects on or off, drift scenario."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

import pandas as pd

from fuelopt.errors import BadInput

SCENARIOS = ("payload_shift", "road_degradation", "new_truck_model")


@dataclass(frozen=True)
class MineSpec:
    """A synthetic mine; fields left ``None`` take their defaults from the `synth` config."""

    seed: int | None = None
    days: int | None = None
    trucks: int | None = None
    shovels: int | None = None
    dumps: int | None = None
    start: date | None = None
    clean: bool = False
    scenario: str | None = None
    scenario_start_day: int | None = None

    def __post_init__(self) -> None:
        from fuelopt.config import get_settings

        cfg = get_settings().synth
        for f in fields(self):
            if getattr(self, f.name) is None and hasattr(cfg, f.name):
                object.__setattr__(self, f.name, getattr(cfg, f.name))
        if isinstance(self.start, str):
            try:
                object.__setattr__(self, "start", date.fromisoformat(self.start))
            except ValueError as exc:
                raise BadInput(f"start: not an ISO date: {self.start!r}") from exc
        if not isinstance(self.seed, int) or self.seed < 0:
            raise BadInput(f"seed: must be a non-negative integer, got {self.seed!r}")
        for name, low in (("days", 1), ("trucks", 1), ("shovels", 1), ("dumps", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                raise BadInput(f"{name}: must be an integer >= {low}, got {value!r}")
        if self.trucks > 899:
            raise BadInput(f"trucks: at most 899, got {self.trucks}")
        if self.days > cfg.max_days:
            raise BadInput(f"days: at most {cfg.max_days} (synth.max_days), got {self.days}")
        if not isinstance(self.start, date):
            raise BadInput(f"start: not a date: {self.start!r}")
        last = pd.Timestamp.max.date() - timedelta(days=self.days + 1)  # timestamps of the days
        if self.start > last:
            raise BadInput(
                f"start: {self.start} is after {last}, the last start a {self.days}-day mine"
                " can have (timestamps end in 2262)"
            )
        if self.scenario is None:
            if self.scenario_start_day is not None:
                raise BadInput("scenario_start_day: given without a scenario")
            return
        if self.scenario not in SCENARIOS:
            raise BadInput(f"scenario: {self.scenario!r} is not one of {', '.join(SCENARIOS)}")
        if self.scenario_start_day is None:
            raise BadInput(f"scenario_start_day: required with scenario {self.scenario!r}")
        if not 0 <= self.scenario_start_day < self.days:
            raise BadInput(
                f"scenario_start_day: {self.scenario_start_day} is outside 0..{self.days - 1}"
            )

    def scenario_active(self, name: str, day: int) -> bool:
        """Whether scenario ``name`` applies on day index ``day``."""
        return self.scenario == name and day >= (self.scenario_start_day or 0)
