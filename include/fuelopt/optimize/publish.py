"""Publish a validated plan: `ops.fleet_plan` rows (idempotent per shift), a Markdown report and a
PNG chart of predicted litres by shovel."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from fuelopt.optimize.scenario import Scenario
from fuelopt.optimize.validate import check_plan

log = logging.getLogger(__name__)

# ops.fleet_plan's primary key includes shovel_id and dump_id (hence NOT NULL): an idle truck is
# written with '-' in both, the convention of ops.drift_checks for "none".
IDLE = "-"

COLUMNS = (
    "plan_id",
    "shift_date",
    "shift",
    "truck_id",
    "shovel_id",
    "dump_id",
    "cycles",
    "predicted_fuel_l",
    "status",
    "objective_fuel_l",
    "baseline_fuel_l",
    "saving_pct",
    "gap_pct",
    "solve_seconds",
    "fuel_source",
    "run_id",
    "predicted_cost",
    "predicted_co2_kg",
    "saving_l",
    "saving_cost",
    "saving_co2_kg",
    "currency",
    "planned_tonnes",
)


def plan_rows(
    scenario: Scenario, plan: dict[str, Any], *, plan_id: str, run_id: str | None
) -> list[tuple]:
    """One row per truck and (shovel, dump) it runs; idle trucks once with '-'."""
    run = (
        plan["status"],
        plan["objective_fuel_l"],
        plan["baseline_fuel_l"],
        plan["saving_pct"],
        plan["gap_pct"],
        plan["solve_seconds"],
        scenario.extra.get("fuel_source", "scenario"),
        run_id,
    )
    head = (plan_id, scenario.extra["shift_date"], scenario.extra["shift"])
    cost = plan.get("cost") or {}
    price, co2 = cost.get("diesel_price_per_l"), cost.get("co2_kg_per_l")
    totals = (
        plan.get("saving_l"),
        cost.get("saving_cost"),
        cost.get("saving_co2_kg"),
        cost.get("currency"),
    )

    def row(truck: str, shovel: str, dump: str, cycles: int, litres: float, t: float) -> tuple:
        priced = (
            None if price is None else litres * price,
            None if co2 is None else litres * co2,
        )
        return (*head, truck, shovel, dump, cycles, litres, *run, *priced, *totals, t)

    rows = [
        row(a["truck"], a["shovel"], a["dump"], a["cycles"], a["fuel_l"], a["tonnes"])
        for a in plan["assignments"]
    ]
    used = {a["truck"] for a in plan["assignments"]}
    rows += [row(t.id, IDLE, IDLE, 0, 0.0, 0.0) for t in scenario.trucks if t.id not in used]
    return rows


def write_fleet_plan(
    conn: Any,
    scenario: Scenario,
    plan: dict[str, Any],
    *,
    plan_id: str,
    run_id: str | None,
    tol: float,
) -> int:
    """Validate, then replace the shift's rows of ``ops.fleet_plan`` in one transaction."""
    if plan["status"] == "infeasible":
        raise ValueError(f"refusing to publish an infeasible plan: {plan.get('reason')}")
    check_plan(scenario, plan, tol=tol)
    rows = plan_rows(scenario, plan, plan_id=plan_id, run_id=run_id)
    from psycopg import sql

    from fuelopt.warehouse.db import relation

    table = relation("ops", "fleet_plan")
    insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        table,
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
        sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
    )
    with conn.transaction():
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE shift_date = %s AND shift = %s").format(table),
            (scenario.extra["shift_date"], scenario.extra["shift"]),
        )
        with conn.cursor() as cur:
            cur.executemany(insert, rows)
    return len(rows)


def litres_by_shovel(plan: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for a in plan["assignments"]:
        out[a["shovel"]] += a["fuel_l"]
    return dict(sorted(out.items()))


def write_chart(scenario: Scenario, plan: dict[str, Any], path: Path) -> Path:
    """Bar chart of predicted litres by shovel (plan vs greedy baseline)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [s.id for s in scenario.shovels]
    planned = litres_by_shovel(plan)
    base = litres_by_shovel({"assignments": plan.get("baseline", {}).get("assignments", [])})
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(ids) + 2), 3.5))
    xs = range(len(ids))
    ax.bar([x - 0.2 for x in xs], [planned.get(i, 0.0) for i in ids], 0.4, label="MILP plan")
    ax.bar([x + 0.2 for x in xs], [base.get(i, 0.0) for i in ids], 0.4, label="greedy dispatch")
    ax.set_xticks(list(xs), ids)
    ax.set_ylabel("predicted litres")
    ax.set_title(f"Shift {scenario.extra.get('shift_date')} {scenario.extra.get('shift')}")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _fmt(value: Any, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _cost_lines(plan: dict[str, Any]) -> list[str]:
    """The plan's cost and CO2 and what the saving is worth (plans priced by ``plan.price``)."""
    cost = plan.get("cost")
    if not cost:
        return []
    cur = cost["currency"]
    return [
        f"- cost: {_fmt(cost['plan_cost'], ',.0f')} {cur}, "
        f"CO2 {_fmt(cost['plan_co2_kg'], ',.0f')} kg "
        f"(diesel at {cost['diesel_price_per_l']:g} {cur}/L, {cost['co2_kg_per_l']:g} kg CO2/L)",
        f"- saving against greedy dispatch: {_fmt(plan.get('saving_l'), ',.0f')} L, "
        f"{_fmt(cost['saving_cost'], ',.0f')} {cur}, {_fmt(cost['saving_co2_kg'], ',.0f')} kg CO2",
    ]


def write_report(scenario: Scenario, plan: dict[str, Any], path: Path, chart: Path) -> Path:
    """Human-readable Markdown plan: run figures, per-shovel summary, one line per truck."""
    tonnes: dict[str, float] = defaultdict(float)
    loads: dict[str, int] = defaultdict(int)
    for a in plan["assignments"]:
        tonnes[a["shovel"]] += a["tonnes"]
        loads[a["shovel"]] += a["cycles"]
    litres = litres_by_shovel(plan)
    lines = [
        f"# Fleet plan {scenario.extra.get('shift_date')} {scenario.extra.get('shift')} shift",
        "",
        f"- status: **{plan['status']}**" + (f" ({plan['reason']})" if plan.get("reason") else ""),
        f"- predicted litres: {_fmt(plan['objective_fuel_l'], ',.0f')} "
        f"(greedy dispatch: {_fmt(plan['baseline_fuel_l'], ',.0f')}, saving "
        f"{_fmt(plan['saving_pct'], '.2f')} % on {plan.get('saving_basis', 'n/a')})",
        *_cost_lines(plan),
        f"- gap {_fmt(plan['gap_pct'], '.2f')} %, solved in {plan['solve_seconds']:.2f} s "
        f"({plan['solver']['name']})",
        f"- litres per cycle from: {scenario.extra.get('fuel_source', 'scenario')}",
        f"- idle trucks: {', '.join(plan.get('idle_trucks', [])) or 'none'}",
        "",
        f"![predicted litres by shovel]({chart.name})",
        "",
        "| shovel | target t | planned t | loads | max loads | litres |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scenario.shovels:
        lines.append(
            f"| {s.id} | {s.target_t:,.0f} | {tonnes[s.id]:,.0f} | {loads[s.id]} | "
            f"{scenario.max_loads(s):g} | {litres.get(s.id, 0.0):,.0f} |"
        )
    lines += [
        "",
        "| truck | shovel | dump | cycles | hours | tonnes | litres |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for a in plan["assignments"]:
        lines.append(
            f"| {a['truck']} | {a['shovel']} | {a['dump']} | {a['cycles']} | {a['hours']:.2f} | "
            f"{a['tonnes']:,.0f} | {a['fuel_l']:,.0f} |"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
