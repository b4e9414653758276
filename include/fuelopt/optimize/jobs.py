"""The optimize_fleet DAG's steps: build the scenario, solve, publish (each callable alone)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fuelopt.config import get_settings

log = logging.getLogger(__name__)


def shift_folder(shift_key: str) -> Path:
    """Artifacts of one shift's plan: ``{paths.artifacts_dir}/{optimize.artifacts_subdir}/KEY``."""
    settings = get_settings()
    return settings.paths.artifact(settings.optimize.artifacts_subdir) / shift_key


def pick_shift(after: datetime, shift_date: str | None = None, shift: str | None = None):
    """The shift to plan: the one named by the params, else the next one after ``after``."""
    from fuelopt.optimize.build import next_shift, shift_of

    cfg = get_settings().optimize.shift
    if shift_date:
        return shift_of(date.fromisoformat(shift_date), shift or "day", cfg)
    return next_shift(after, cfg)


def build_step(after: datetime, shift_date: str | None = None, shift: str | None = None) -> str:
    """Read the warehouse, predict litres per model x route, write scenario.json; its path."""
    from fuelopt.frames import write_json
    from fuelopt.optimize.build import build_scenario, read_inputs
    from fuelopt.optimize.fuel import load_predictor
    from fuelopt.optimize.scenario import parse_scenario
    from fuelopt.warehouse.db import connect

    settings = get_settings()
    target = pick_shift(after, shift_date, shift)
    with connect() as conn:
        inputs = read_inputs(conn, target, settings.optimize, settings.warehouse.schemas)
    doc = build_scenario(inputs, target, settings.optimize, load_predictor())
    parse_scenario(doc)  # the DAG's scenario obeys the same contract as a user's
    path = shift_folder(target.key) / "scenario.json"
    write_json(doc, path)
    log.info("scenario for %s (%s): %s", target.key, doc["fuel_source"], path)
    return str(path)


def solve_step(scenario_path: str) -> dict[str, Any]:
    """Solve, validate and write plan.json next to the scenario; status, reason and path."""
    from fuelopt.frames import write_json
    from fuelopt.optimize.plan import optimize
    from fuelopt.optimize.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    plan = optimize(scenario, get_settings().optimize.solver)
    plan["fuel_source"] = scenario.extra.get("fuel_source")
    path = Path(scenario_path).with_name("plan.json")
    write_json(plan, path)
    log.info(
        "plan %s: %s L (%s), %s",
        plan["status"],
        plan["objective_fuel_l"],
        path,
        plan.get("reason", ""),
    )
    return {"plan_path": str(path), "status": plan["status"], "reason": plan.get("reason")}


def publish_step(scenario_path: str, plan_path: str, run_id: str | None) -> dict[str, Any]:
    """Report + chart always; `ops.fleet_plan` rows only for a valid, feasible plan."""
    from fuelopt.optimize.publish import write_chart, write_fleet_plan, write_report
    from fuelopt.optimize.scenario import load_scenario
    from fuelopt.warehouse.db import connect

    settings = get_settings()
    scenario = load_scenario(scenario_path)
    plan = json.loads(Path(plan_path).read_text())
    folder = Path(plan_path).parent
    chart = write_chart(scenario, plan, folder / "litres_by_shovel.png")
    report = write_report(scenario, plan, folder / "plan.md", chart)
    log.info("fleet plan report: %s (chart %s)", report, chart)
    result = {"report": str(report), "chart": str(chart), "status": plan["status"], "rows": 0}
    if plan["status"] == "infeasible":
        result["reason"] = plan.get("reason")
        return result
    plan_id = f"{scenario.extra['shift_date']}_{scenario.extra['shift']}_{run_id or 'manual'}"
    with connect() as conn:
        result["rows"] = write_fleet_plan(
            conn,
            scenario,
            plan,
            ops_schema=settings.warehouse.schemas.ops,
            plan_id=plan_id,
            run_id=run_id,
            tol=settings.optimize.solver.tolerance,
        )
    log.info("ops.fleet_plan: %d rows for %s %s", result["rows"], *plan_id.split("_")[:2])
    return result
