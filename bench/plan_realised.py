"""Plans proven in the mine: realised litres per tonne of dispatch, greedy and MILP plans.

    python bench/plan_realised.py            # optimize.plan_realised in fuelopt.yaml (>= 30 shifts)
    python bench/plan_realised.py --quick    # fewer shifts per mine (under five minutes)

For every shift of every configured mine (seed, size, fleet mix): the scenario of the shift from
the mine's history (`fuelopt synth scenario`, litres per cycle from ``fuel``), the MILP plan with
the queue model, the same MILP without it, the greedy dispatcher's plan (the plan's baseline) and
the mine's own dispatch, each replayed in the mine (`fuelopt synth replay`). Savings are on
realised litres per tonne. Prediction error: a plan's predicted litres (with its predicted queue)
against its realised litres, on the trucks that were not down (the plan cannot know breakdowns).
The last line is JSON (issue 13).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from typing import Any

from bench_args import emit, parse_args

from fuelopt.config import get_settings
from fuelopt.optimize.plan import optimize
from fuelopt.optimize.scenario import parse_scenario
from fuelopt.synth.generate import SHIFTS, Mine
from fuelopt.synth.replay import own_dispatch, replay, shift_scenario
from fuelopt.synth.spec import MineSpec


def _per_t(result: dict[str, Any]) -> float:
    return result["litres"] / result["tonnes"] if result["tonnes"] > 0 else float("nan")


def _prediction_error(plan: dict[str, Any], result: dict[str, Any]) -> float:
    """Per cent error of predicted vs realised litres over the trucks that worked."""
    down = {r["truck"] for r in result["trucks"] if r["down"]}
    rows = [r for r in plan["assignments"] if r["truck"] not in down]
    planned = sum(r["fuel_l"] for r in plan["assignments"])
    kept = sum(r["fuel_l"] for r in rows)
    predicted = plan.get("predicted_fuel_l", planned) * (kept / planned if planned else 0.0)
    realised = sum(r["litres"] for r in result["trucks"] if not r["down"])
    return (predicted - realised) / realised * 100.0 if realised else float("nan")


def _no_queue(doc: dict[str, Any]) -> dict[str, Any]:
    routes = [{k: v for k, v in r.items() if k != "queue_h"} for r in doc["routes"]]
    return {**{k: v for k, v in doc.items() if k != "queue"}, "routes": routes}


def run_shift(mine: Mine, day: int, shift: str, fuel: str) -> dict[str, Any]:
    """Scenario, plans and replays of one shift; the row's figures. ``milp`` is the MILP as
    configured (``optimize.queue.enabled``), ``milp_queue`` / ``milp_plain`` with and without the
    queue model; an infeasible plan has no replay (None)."""
    cfg = get_settings().optimize
    queued = cfg.model_copy(update={"queue": cfg.queue.model_copy(update={"enabled": True})})
    doc = shift_scenario(mine, mine.spec.start + timedelta(days=day), shift, queued, fuel)
    plans = {
        "milp_queue": optimize(parse_scenario(doc), cfg.solver),
        "milp_plain": optimize(parse_scenario(_no_queue(doc)), cfg.solver),
    }
    plans["milp"] = plans["milp_queue" if cfg.queue.enabled else "milp_plain"]
    greedy_plan = {"assignments": plans["milp_plain"]["baseline"]["assignments"]}
    runs = {
        "dispatch": replay(mine, day, shift, own_dispatch(mine, day, shift)),
        "greedy": replay(mine, day, shift, greedy_plan),
        **{
            k: None if p["status"] == "infeasible" else replay(mine, day, shift, p)
            for k, p in plans.items()
        },
    }
    baseline = plans["milp"]["baseline"]
    pred_greedy = baseline.get("predicted_fuel_l", baseline["fuel_l"])
    pred_milp = plans["milp"].get("predicted_fuel_l", plans["milp"]["objective_fuel_l"])
    done = {k: v for k, v in runs.items() if v is not None}
    return {
        "status": {k: p["status"] for k, p in plans.items()},
        "lpt": {k: _per_t(v) for k, v in done.items()},
        "tonnes": {k: v["tonnes"] for k, v in done.items()},
        "queue_min_per_cycle": {k: v["queue_min"] / max(v["cycles"], 1) for k, v in done.items()},
        "target_t": sum(s["target_t"] for s in doc["shovels"]),
        "predicted_saving_vs_greedy_pct": None
        if pred_milp is None
        else (1.0 - pred_milp / pred_greedy) * 100.0,
        "error_pct": {
            **{k: _prediction_error(plans[k], done[k]) for k in plans if k in done},
            "greedy": _prediction_error(
                {**greedy_plan, "predicted_fuel_l": pred_greedy}, runs["greedy"]
            ),
        },
    }


def _saving(row: dict[str, Any], plan: str, base: str) -> float:
    return (1.0 - row["lpt"][plan] / row["lpt"][base]) * 100.0


def _median(rows: list[dict[str, Any]], plan: str) -> float | None:
    """Median realised saving of ``plan`` against greedy over the shifts where it had a plan."""
    found = [_saving(r, plan, "greedy") for r in rows if plan in r["lpt"]]
    return round(statistics.median(found), 3) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args = parse_args(parser, {}, note="optimize.plan_realised.quick_shifts_per_mine")
    settings = get_settings()
    bench = settings.optimize.plan_realised
    per_mine = bench.quick_shifts_per_mine if args.quick else bench.shifts_per_mine
    first = settings.optimize.scenario.lookback_days + 1
    began = time.perf_counter()
    rows: list[dict[str, Any]] = []
    infeasible: list[str] = []
    heads = [("mine", 24), ("shift", 14), ("disp L/t", 9), ("greedy", 9), ("milp", 9),
             ("milp-plain", 9), ("sav/disp%", 9), ("sav/gr%", 8), ("pred%", 6), ("err%", 6),
             ("q min", 5), ("t/target", 8)]  # fmt: skip
    print(" ".join(f"{h:>{w}}" for h, w in heads))
    for m in bench.mines:
        synth = settings.synth.model_copy(update={"fleet_mix": m.fleet_mix})
        days = first + (per_mine + 1) // 2
        spec = MineSpec(seed=m.seed, days=days, trucks=m.trucks, shovels=m.shovels, dumps=m.dumps)
        mine = Mine(spec, synth)
        name = f"s{m.seed} {m.trucks}x{m.shovels}x{m.dumps} {'/'.join(m.fleet_mix)}"[:24]
        for i in range(per_mine):
            day, shift = first + i // 2, SHIFTS[i % 2]
            row = run_shift(mine, day, shift, bench.fuel)
            if "milp" not in row["lpt"]:
                infeasible.append(f"{name} {spec.start + timedelta(days=day)} {shift}")
                print(f"{name:>24} {shift:>14} MILP: no plan ({row['status']['milp']})")
                continue
            rows.append(row)
            lpt = row["lpt"]
            print(
                f"{name:>24} {str(spec.start + timedelta(days=day)) + ' ' + shift:>14} "
                f"{lpt['dispatch']:9.4f} {lpt['greedy']:9.4f} {lpt['milp']:9.4f} "
                f"{lpt.get('milp_plain', float('nan')):9.4f} "
                f"{_saving(row, 'milp', 'dispatch'):9.2f} "
                f"{_saving(row, 'milp', 'greedy'):8.2f} "
                f"{row['predicted_saving_vs_greedy_pct']:6.2f} {row['error_pct']['milp']:6.2f} "
                f"{row['queue_min_per_cycle']['milp']:5.2f} "
                f"{row['tonnes']['milp'] / row['target_t']:8.3f}",
                flush=True,
            )
    med = statistics.median
    summary = {
        "shifts": len(rows),
        "mines": len(bench.mines),
        "fuel": bench.fuel,
        "median_realised_saving_vs_dispatch_pct": round(
            med(_saving(r, "milp", "dispatch") for r in rows), 3
        ),
        "median_realised_saving_vs_greedy_pct": round(
            med(_saving(r, "milp", "greedy") for r in rows), 3
        ),
        "median_predicted_saving_vs_greedy_pct": round(
            med(r["predicted_saving_vs_greedy_pct"] for r in rows), 3
        ),
        "queue_model": get_settings().optimize.queue.enabled,
        "shifts_without_milp_plan": infeasible,
        "median_realised_saving_queue_vs_greedy_pct": _median(rows, "milp_queue"),
        "median_realised_saving_plain_vs_greedy_pct": _median(rows, "milp_plain"),
        "median_greedy_saving_vs_dispatch_pct": round(
            med(_saving(r, "greedy", "dispatch") for r in rows), 3
        ),
        "median_abs_prediction_error_pct": round(med(abs(r["error_pct"]["milp"]) for r in rows), 3),
        "median_abs_prediction_error_plain_pct": round(
            med(abs(r["error_pct"]["milp_plain"]) for r in rows if "milp_plain" in r["error_pct"]),
            3,
        ),
        "median_abs_prediction_error_greedy_pct": round(
            med(abs(r["error_pct"]["greedy"]) for r in rows), 3
        ),
        "median_queue_min_per_cycle": {
            k: round(med(r["queue_min_per_cycle"][k] for r in rows), 3)
            for k in ("dispatch", "greedy", "milp")
        },
        "median_milp_tonnes_vs_target": round(
            med(r["tonnes"]["milp"] / r["target_t"] for r in rows), 4
        ),
        "tonnes_ratio_vs_dispatch": round(
            sum(r["tonnes"]["milp"] for r in rows) / sum(r["tonnes"]["dispatch"] for r in rows), 4
        ),
        "seconds": round(time.perf_counter() - began, 1),
    }
    emit(summary, args)


if __name__ == "__main__":
    main()
