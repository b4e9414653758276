"""The frames a bench trains and checks models on: what dbt builds from a synthetic mine loaded
into raw, read as training reads it (``build_features`` of tests/support/features.py, the same
code the tests use)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.features import Features, build_features

__all__ = ["Features", "build_features"]
