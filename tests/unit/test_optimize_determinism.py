"""Same scenario, same plan: CBC's search stops on the gap or the node limit (config), not on
wall-clock time, so a re-run on a busy machine gives the same assignments."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections.abc import Iterator

import pytest

from fuelopt.config import get_settings
from fuelopt.optimize.generate import scenario_dict
from fuelopt.optimize.plan import optimize
from fuelopt.optimize.scenario import parse_scenario


def _burn() -> None:
    while True:
        pass


@contextlib.contextmanager
def busy_cores() -> Iterator[int]:
    """Keep every core busy inside the block; the burners are stopped at its end."""
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_burn, daemon=True) for _ in range(os.cpu_count() or 2)]
    try:
        for proc in procs:
            proc.start()
        yield len(procs)
    finally:
        for proc in procs:
            proc.kill()
            proc.join(timeout=10)
    assert not any(p.is_alive() for p in procs)


def _key(plan: dict) -> list[tuple]:
    return sorted((a["truck"], a["shovel"], a["dump"], a["cycles"]) for a in plan["assignments"])


def test_rerun_gives_the_same_plan_while_every_core_is_busy():
    settings = get_settings().optimize.solver
    scenario = parse_scenario(scenario_dict(40, 8, 3, seed=11))
    first = optimize(scenario, settings)
    assert first["status"] in ("optimal", "feasible") and first["assignments"]
    with busy_cores() as burners:
        assert burners >= 2
        reruns = [optimize(scenario, settings) for _ in range(2)]
    for again in reruns:
        assert _key(again) == _key(first)
        assert again["objective_fuel_l"] == pytest.approx(first["objective_fuel_l"], abs=1e-9)


def test_solver_settings_do_not_depend_on_speed():
    settings = get_settings().optimize.solver
    assert settings.threads == 1
    assert settings.max_nodes > 0 and settings.seed >= 0
