"""Haul-truck figures used by the synthetic mine: the one table of rated power, payload and weight.

Sources (docs/domain.md#rated-truck-figures):
- rated power and payload: "Rated figures (manufacturers' spec sheets, approximate)": CAT 793F
  about 1,800 kW / 227 t, Komatsu 930E about 2,000 kW / 290 t, CAT 785D about 1,000 kW / 136 t.
- empty weight: not among those figures; gross machine operating weight minus rated payload from the
  same manufacturers' spec sheets (CAT 793F 390.9 t GMW, Komatsu 930E 504.5 t, CAT 785D
  249.5 t), rounded; treat as approximate.
- fuel tank: the same spec sheets (approximate), used only to bound refuelling.
Pure Python (imported by the configuration loader): no numpy here.
"""

from __future__ import annotations

from typing import NamedTuple


class TruckModel(NamedTuple):
    rated_kw: float
    payload_t: float
    empty_t: float
    tank_l: float
    source: str


TRUCK_MODELS: dict[str, TruckModel] = {
    "CAT 793F": TruckModel(1800.0, 227.0, 164.0, 4540.0, "docs/domain.md: rated figures"),
    "Komatsu 930E": TruckModel(2000.0, 290.0, 214.0, 4540.0, "docs/domain.md: rated figures"),
    "CAT 785D": TruckModel(1000.0, 136.0, 113.0, 3785.0, "docs/domain.md: rated figures"),
}

# Loading tools and auxiliary machines: listed in `equipment`, no fuel model (electric shovels).
SHOVEL_MODEL = ("P&H 4100XPC", 100.0)  # (model, dipper payload t), approximate
AUXILIARY_MODELS = (("CAT D10T2", None), ("CAT 16M3", None), ("CAT 777G water truck", None))
