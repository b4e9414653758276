"""Deterministic synthetic open-pit mine with a physics-based fuel model.

Public API (imported lazily, so that ``fuelopt`` starts fast)::

    from fuelopt.synth import MineSpec, generate_operations, iter_telemetry, truth
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MineSpec": "fuelopt.synth.spec",
    "SCENARIOS": "fuelopt.synth.spec",
    "generate_operations": "fuelopt.synth.generate",
    "iter_telemetry": "fuelopt.synth.generate",
    "COLUMNS": "fuelopt.synth.generate",
    "truth": "fuelopt.synth.ground_truth",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'fuelopt.synth' has no attribute {name!r}")
