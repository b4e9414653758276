"""Why is a scenario infeasible? Shortfall per shovel and the constraint family that binds."""

from __future__ import annotations

from dataclasses import dataclass

from fuelopt.optimize import milp
from fuelopt.optimize.scenario import Scenario
from fuelopt.optimize.settings import SolverSettings

FAMILIES = {
    "loads": "shovel loading capacity (max_loads_per_h x shift_hours)",
    "dumps": "dump capacity (capacity_t)",
}


@dataclass
class Shortfall:
    """Least total shortfall found with slack on the targets; ``proven`` when the solver's bound
    shows no plan can reach every target; ``cycles`` is the plan found."""

    tonnes: dict[str, float]
    proven: bool
    cycles: dict[tuple[int, int], int]


@dataclass
class Diagnosis:
    reason: str
    # A plan that meets every target, found by the feasibility phase (the main solve ran out of
    # time before finding one): the caller may use it as a feasible plan.
    cycles: dict[tuple[int, int], int] | None = None


def _shortfall(
    scenario: Scenario, settings: SolverSettings, drop: frozenset[str]
) -> Shortfall | None:
    model = milp.build(scenario, target_slack=True, drop=drop)
    solution = milp.solve_model(scenario, model, settings, settings.diagnose_time_limit_seconds)
    if solution.status == "infeasible":
        return None
    proven = solution.status == "optimal" or (solution.bound or 0.0) > 1e-6
    return Shortfall(solution.shortfall_t, proven and bool(solution.shortfall_t), solution.cycles)


def reaching_plan(
    scenario: Scenario, settings: SolverSettings
) -> dict[tuple[int, int], int] | None:
    """Cycles of a plan that reaches every shovel target, if the greedy dispatcher or the
    feasibility phase (``diagnose_time_limit_seconds``) finds one; None otherwise."""
    from fuelopt.optimize import greedy

    cycles = greedy.greedy(scenario)
    if not greedy.shortfall(scenario, cycles):
        return cycles
    short = _shortfall(scenario, settings, frozenset())
    return short.cycles if short is not None and not short.tonnes else None


def _unserved(scenario: Scenario) -> list[str]:
    """Shovels with a target that no truck can serve at all (model or route missing)."""
    out = []
    for s in scenario.shovels:
        if s.target_t <= 0:
            continue
        if not any(
            milp.max_cycles(t.available_h, r.cycle_h[t.model])
            for t in scenario.trucks
            for _, r in scenario.routes_for(t, s)
        ):
            models = ", ".join(s.truck_models)
            out.append(
                f"shovel {s.id}: target {s.target_t:g} t but no truck of an accepted model "
                f"({models}) can run any of its routes within its hours"
            )
    return out


def explain(scenario: Scenario, settings: SolverSettings, time_limit: float) -> Diagnosis:
    """Why no plan: the short shovels and the binding constraint family, in one line."""
    unserved = _unserved(scenario)
    if unserved:
        return Diagnosis("infeasible: " + "; ".join(unserved))
    short = _shortfall(scenario, settings, frozenset())
    if short is None:
        return Diagnosis("infeasible: the solver found no plan even with slack on the targets")
    if not short.tonnes:
        return Diagnosis(
            f"the solver found no plan within {time_limit:g} s; the feasibility phase did",
            short.cycles,
        )
    shovels = {s.id: s for s in scenario.shovels}
    detail = ", ".join(
        f"{sid} short by {t:.0f} t of {shovels[sid].target_t:g} t"
        for sid, t in sorted(short.tonnes.items())
    )
    binding = []
    for family in ("loads", "dumps"):
        relaxed = _shortfall(scenario, settings, frozenset({family}))
        if relaxed is not None and not relaxed.tonnes:
            binding.append(FAMILIES[family])
    if not binding:
        both = _shortfall(scenario, settings, frozenset(FAMILIES))
        if both is not None and not both.tonnes:
            binding.append(f"{FAMILIES['loads']} and {FAMILIES['dumps']} together")
        else:
            binding.append("truck hours (available_h) and truck-shovel compatibility")
    if short.proven:
        return Diagnosis(f"shovel targets unreachable: {detail}; binding: {'; '.join(binding)}")
    return Diagnosis(
        f"no plan found within {time_limit:g} s and none proven impossible: the best attempt "
        f"leaves {detail} (binding there: {'; '.join(binding)}); raise --time-limit"
    )
