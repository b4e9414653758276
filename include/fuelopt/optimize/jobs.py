"""The optimize_fleet DAG's steps: build the scenario, solve, publish (each callable alone)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fuelopt.config import get_settings
from fuelopt.errors import BadInput, PermanentError
from fuelopt.optimize.build import Shift, next_shift, shift_of

log = logging.getLogger(__name__)
DAG_ID = "optimize_fleet"


class NoShiftPlan(PermanentError):
    """None of the shifts to plan has targets in the warehouse."""


def shift_folder(shift_key: str) -> Path:
    """Artifacts of one shift's plan: ``{paths.artifacts_dir}/{optimize.artifacts_subdir}/KEY``."""
    settings = get_settings()
    return settings.paths.artifact(settings.optimize.artifacts_subdir) / shift_key


def shifts_to_plan(
    after: datetime, shift_date: str | None = None, shift: str | None = None
) -> list[Shift]:
    """The shifts a run plans: the params' date (one shift, or both when ``shift`` is empty),
    else every shift starting within ``optimize.shift.plan_horizon_hours`` after ``after``."""
    cfg = get_settings().optimize.shift
    if shift_date:
        try:
            day = date.fromisoformat(shift_date)
        except ValueError:
            raise BadInput(f"params.shift_date: not a date (YYYY-MM-DD): {shift_date!r}") from None
        return [shift_of(day, name, cfg) for name in ((shift,) if shift else ("day", "night"))]
    first = next_shift(after, cfg)
    horizon = after + timedelta(hours=cfg.plan_horizon_hours)
    shifts = [first]
    while (following := next_shift(shifts[-1].start + timedelta(seconds=1), cfg)).start < horizon:
        shifts.append(following)
    return shifts


def plannable(shifts: list[Shift], run_id: str | None = None) -> list[Shift]:
    """The shifts whose targets the warehouse holds; each one without is logged and alerted
    (``ops.alert_log``, kind ``no_shift_plan``). None at all: NoShiftPlan, which no retry fixes."""
    from psycopg import sql

    from fuelopt.alerts.on_call import record_alert
    from fuelopt.warehouse.db import connect, relation

    schemas = get_settings().warehouse.schemas
    with connect() as conn:
        planned = {
            (row[0], row[1])
            for row in conn.execute(
                sql.SQL(
                    "SELECT DISTINCT shift_date, shift FROM {} WHERE shift_date = ANY(%s)"
                ).format(relation("cleansed", "stg_operations__shift_plan")),
                ([s.shift_date for s in shifts],),
            )
        }
    ready = [s for s in shifts if (s.shift_date, s.shift) in planned]
    for missing in (s for s in shifts if s not in ready):
        message = f"no shift plan (targets) for {missing.key}: that shift is not planned"
        log.warning(message)
        record_alert(
            kind="no_shift_plan", severity="warning", dag_id=DAG_ID, message=message, run_id=run_id
        )
    if not ready:
        raise NoShiftPlan(
            "no shift plan for any shift to plan: "
            + ", ".join(s.key for s in shifts)
            + f" (table {schemas.cleansed}.stg_operations__shift_plan)"
        )
    return ready


def build_step(target: Shift) -> str:
    """Read the warehouse, predict litres per model x route, write scenario.json; its path."""
    from fuelopt.frames import write_json
    from fuelopt.optimize.build import build_scenario, read_inputs
    from fuelopt.optimize.fuel import load_predictor
    from fuelopt.optimize.scenario import parse_scenario
    from fuelopt.warehouse.db import connect

    settings = get_settings()
    with connect() as conn:
        inputs = read_inputs(conn, target, settings.optimize)
    doc = build_scenario(inputs, target, settings.optimize, load_predictor(), settings.physics)
    parse_scenario(doc)  # the DAG's scenario obeys the same contract as a user's
    path = shift_folder(target.key) / "scenario.json"
    write_json(doc, path)
    log.info("scenario for %s (%s): %s", target.key, doc["fuel_source"], path)
    return str(path)


def solve_step(scenario_path: str) -> dict[str, Any]:
    """Solve, validate and write plan.json next to the scenario; status, reason and path."""
    from fuelopt.frames import write_json
    from fuelopt.optimize.plan import optimize, price
    from fuelopt.optimize.scenario import load_scenario

    settings = get_settings()
    scenario = load_scenario(scenario_path)
    plan = price(optimize(scenario, settings.optimize.solver), settings.reports)
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
    return {
        "scenario_path": scenario_path,
        "plan_path": str(path),
        "status": plan["status"],
        "reason": plan.get("reason"),
    }


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
    result = {
        "shift_date": scenario.extra["shift_date"],
        "shift": scenario.extra["shift"],
        "report": str(report),
        "chart": str(chart),
        "status": plan["status"],
        "rows": 0,
    }
    if plan["status"] == "infeasible":
        result["reason"] = plan.get("reason")
        return result
    plan_id = f"{scenario.extra['shift_date']}_{scenario.extra['shift']}_{run_id or 'manual'}"
    with connect() as conn:
        result["rows"] = write_fleet_plan(
            conn,
            scenario,
            plan,
            plan_id=plan_id,
            run_id=run_id,
            tol=settings.optimize.solver.tolerance,
        )
    log.info("ops.fleet_plan: %d rows for %s %s", result["rows"], *plan_id.split("_")[:2])
    return result
