"""XGBoost's OpenMP threads sleep rather than spin while waiting (see fuelopt/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "import fuelopt, xgboost, os; "
    "print(os.environ['OMP_WAIT_POLICY'], xgboost.build_info()['USE_OPENMP'])"
)


def _probe(env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_importing_fuelopt_makes_openmp_threads_passive_before_xgboost_loads():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _probe(env) == ["PASSIVE", "True"]


def test_an_explicit_wait_policy_is_kept():
    assert _probe({**os.environ, "OMP_WAIT_POLICY": "ACTIVE"})[0] == "ACTIVE"
