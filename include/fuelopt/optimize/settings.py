"""Configuration of the optimize package (section `optimize` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fuelopt.settings_base import Section


class SolverSettings(Section):
    """MILP solver: CBC bundled with PuLP, or HiGHS through highspy."""

    name: Literal["cbc", "highs"]
    # A safety net only: the search stops on gap_rel or max_nodes, which do not depend on the
    # machine's speed, so the same scenario gives the same plan on a busy machine too.
    time_limit_seconds: float = Field(gt=0)
    gap_rel: float = Field(ge=0, lt=1)
    threads: int = Field(ge=1)
    seed: int = Field(ge=0)
    max_nodes: int = Field(ge=1)
    # Seconds given to each diagnostic re-solve of an infeasible scenario.
    diagnose_time_limit_seconds: float = Field(gt=0)
    # Extra CBC command-line options, e.g. "proximity on" (proximity search: on the bench it finds
    # incumbents where CBC's defaults found none within the time limit).
    cbc_options: list[str]
    # Absolute tolerance of the plan validator on hours and tonnes (float rounding only).
    tolerance: float = Field(ge=0, le=1e-3)


class ShiftSettings(Section):
    """Shift calendar: two shifts (day, night) of ``shift_hours`` starting at ``day_start_hour``."""

    shift_hours: float = Field(gt=0, le=24)
    day_start_hour: int = Field(ge=0, le=23)
    # The nightly run plans every shift starting within this many hours after its data ends.
    plan_horizon_hours: float = Field(gt=0, le=168)


class ScenarioBuildSettings(Section):
    """How the DAG turns warehouse history into the next shift's scenario."""

    lookback_days: int = Field(ge=1)
    # A (shovel, dump) pair becomes a route when at least this many recent cycles used it.
    min_cycles_per_route: int = Field(ge=1)
    # Truck hours available = shift_hours x this (breaks, refuelling, shift change).
    truck_availability: float = Field(gt=0, le=1)
    # Shovel loading capacity: this quantile of observed loads per hour, never below the default.
    loads_per_h_quantile: float = Field(gt=0, le=1)
    default_max_loads_per_h: float = Field(gt=0)
    # Dump capacity per shift (tonnes) when no better figure is known.
    default_dump_capacity_t: float = Field(gt=0)
    # Accept at a shovel only the truck models seen loading there recently (else every model).
    compatibility_from_history: bool


class QueueSettings(Section):
    """Queue-aware assignment (fuelopt.optimize.queueing): the scenario's optional ``queue``."""

    # The DAG's scenario carries the queue model (route queue_h and the queue object).
    enabled: bool
    # Squared coefficient of variation of a shovel's time per load (0: constant, 1: exponential).
    load_cv2: float = Field(ge=0, le=2)
    # The MILP puts at most this many trucks at one shovel (keeps the queue terms few).
    max_trucks_per_shovel: int = Field(ge=1, le=100)


class BenchSettings(Section):
    """bench/milp_scaling.py: generated scenario grid."""

    seed: int
    trucks: list[int]
    shovels: list[int]
    dumps: list[int]
    target_utilisation: float = Field(gt=0, le=1)


class BenchMine(Section):
    """One synthetic mine of bench/plan_realised.py."""

    seed: int = Field(ge=0)
    trucks: int = Field(ge=1, le=899)
    shovels: int = Field(ge=1)
    dumps: int = Field(ge=1)
    fleet_mix: dict[str, float]


class PlanRealisedSettings(Section):
    """bench/plan_realised.py: plans replayed in synthetic mines."""

    mines: list[BenchMine] = Field(min_length=1)
    shifts_per_mine: int = Field(ge=1)
    quick_shifts_per_mine: int = Field(ge=1)
    # Litres per cycle of the scenarios: physics (the DAG's fallback) | mine (oracle physics).
    fuel: Literal["physics", "mine"]


class OptimizeSettings(Section):
    solver: SolverSettings
    shift: ShiftSettings
    scenario: ScenarioBuildSettings
    queue: QueueSettings
    bench: BenchSettings
    plan_realised: PlanRealisedSettings
    # Sub-folder of paths.artifacts_dir for plans, reports and charts.
    artifacts_subdir: str
