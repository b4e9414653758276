"""What the generator knows and the data does not show: parameters, noise floor, defect rates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from fuelopt.synth.generate import Mine, generate_operations
from fuelopt.synth.levers import lever_truth
from fuelopt.synth.physics import PHASES
from fuelopt.synth.spec import MineSpec
from fuelopt.synth.truck_models import TRUCK_MODELS


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | np.floating):
        return round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def truth(
    spec: MineSpec | None = None, ops: dict[str, pd.DataFrame] | None = None
) -> dict[str, Any]:
    """The content of truth.json for ``spec`` (``ops``: its operations, if already generated)."""
    spec = spec or MineSpec()
    mine = Mine(spec)
    cfg = mine.cfg
    if ops is None or "fuel_l_expected" not in ops["haul_cycles"]:
        ops = generate_operations(spec, include_truth=True)
    defect_counts = {k: v.attrs.get("defects", {}) for k, v in ops.items()}
    cycles = ops["haul_cycles"]
    clean = cycles[cycles["defect"] == ""] if "defect" in cycles else cycles
    mean_l = float(clean["fuel_l_expected"].mean()) if len(clean) else 0.0
    noise_sd, op_sd = cfg.noise.cycle_fuel_sd_frac, cfg.physics.operator_sd_frac
    irreducible = math.sqrt((1 + noise_sd**2) * (1 + op_sd**2) - 1)
    rates = cfg.defects.model_dump()
    if spec.clean:
        rates = {k: (0.0 if k.endswith("_rate") else v) for k, v in rates.items()}
    fleet = [
        {
            "truck_id": tid,
            "model": model,
            "engine_hours": hours,
            "wear_factor": wear,
            "operator_factors": list(ops_f),
            "worn_engine_excess": float(worn),
            "first_day": int(first),
            "last_day_exclusive": int(min(last, spec.days)),
        }
        for tid, model, hours, wear, ops_f, worn, first, last in zip(
            mine.truck_ids, mine.truck_model, mine.engine_hours, mine.wear,
            mine.operator_factor, mine.worn_excess, mine.first_day, mine.last_day, strict=True,
        )
    ]  # fmt: skip
    return _jsonable(
        {
            "generator": "fuelopt.synth",
            "spec": {
                "seed": spec.seed,
                "days": spec.days,
                "trucks": spec.trucks,
                "shovels": spec.shovels,
                "dumps": spec.dumps,
                "start": spec.start,
                "clean": spec.clean,
                "scenario": spec.scenario,
                "scenario_start_day": spec.scenario_start_day,
            },
            "equations": "fuelopt.synth.physics (module docstring)",
            "phases": list(PHASES),
            "truck_models": {
                name: {
                    "rated_kw": m.rated_kw,
                    "payload_t": m.payload_t,
                    "empty_t": m.empty_t,
                    "source": m.source,
                }
                for name, m in TRUCK_MODELS.items()
            },
            "fleet_mix": cfg.fleet_mix,
            "physics": cfg.physics.model_dump(),
            "operations": cfg.operations.model_dump(),
            "scenarios": cfg.scenarios.model_dump(),
            "fleet": fleet,
            "routes": mine.routes.to_dict(orient="records"),
            "noise": {
                "cycle_fuel_sd_frac": noise_sd,
                "cycle_fuel_sd_pct": 100 * noise_sd,
                "mean_cycle_fuel_l": mean_l,
                "cycle_fuel_sd_l": noise_sd * mean_l,
                "operator_sd_pct": 100 * op_sd,
                "irreducible_sd_pct": 100 * irreducible,
                "irreducible_sd_l": irreducible * mean_l,
                "note": (
                    "fuel_l = physics x operator factor x (1 + worn engine excess) x"
                    " (1 + N(0, cycle_fuel_sd)); the operator is not a model feature"
                    " (haul_cycles.operator_id names it for the operator lever), so a model of"
                    " the cycle features cannot do better than irreducible_sd (about that"
                    " RMSE, MAPE about 0.8 x it)."
                ),
                "telemetry_fuel_sd_pct": 100 * cfg.noise.telemetry_fuel_sd_frac,
                "telemetry_speed_sd_kmh": cfg.noise.telemetry_speed_sd_kmh,
                "dispense_sd_pct": 100 * cfg.noise.dispense_sd_frac,
            },
            "defect_rates": rates,
            "defect_counts": defect_counts,
            "rows": {name: len(frame) for name, frame in ops.items()},
            "levers": lever_truth(mine),
        }
    )
