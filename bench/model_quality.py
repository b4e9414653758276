"""Model quality on a synthetic mine whose seed no test uses, as ratios against baselines and the
generator's noise floor measured in the same run, plus the cycle model's training time on 1 M
cycles (against the physics baseline fitted on the same rows).

    python bench/model_quality.py [--seed 2027] [--days 240] [--trucks 12] [--timing-rows 1000000]

Goals (issue 6): cycle MAE ≤ 1.25 × noise floor and ≥ 30 % below the physics baseline; demand
MAPE at 7 days ≤ 0.8 × seasonal naive; interval coverage within 5 points of 80 % / 95 %;
training on 1 M cycles < 60 s on 2 cores. The last line is JSON (``cycle``, ``demand``, ``timing``).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
from bench_args import emit, parse_args

# --quick: sizes for a CI-sized machine
QUICK = {"days": 150, "trucks": 6, "timing_rows": 200_000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--trucks", type=int, default=12)
    parser.add_argument("--timing-rows", type=int, default=1_000_000)
    args = parse_args(parser, QUICK)

    from mine_features import build_features

    from fuelopt.config import get_settings
    from fuelopt.ml.cycle_model import fit_physics, fit_xgb, train_cycle_model, validate_frame
    from fuelopt.ml.demand import fit_demand, validate_daily
    from fuelopt.synth import MineSpec, truth

    ml = get_settings().ml
    spec = MineSpec(
        seed=args.seed, days=args.days, trucks=args.trucks, shovels=4, dumps=2, clean=True
    )
    started = time.perf_counter()
    mine = build_features(spec)
    ops = mine.operations
    noise = truth(spec, ops)["noise"]
    print(f"mine: seed {args.seed}, {args.days} days, {len(ops['haul_cycles'])} cycles "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip

    frame = validate_frame(mine.cycles, ml.cycle, "synthetic mine")
    model = train_cycle_model(frame, ml.cycle, ml.seed)
    s = model.cv.summary
    floor_sd = noise["irreducible_sd_l"]
    floor_mae = floor_sd * math.sqrt(2 / math.pi)  # MAE of Gaussian noise with that sd
    cycle = {
        "cv_mae_l": round(s["xgboost"]["mae"], 3),
        "cv_rmse_l": round(s["xgboost"]["rmse"], 3),
        "physics_mae_l": round(s["physics"]["mae"], 3),
        "linear_mae_l": round(s["linear"]["mae"], 3),
        "noise_floor_mae_l": round(floor_mae, 3),
        "mae_over_noise_floor": round(s["xgboost"]["mae"] / floor_mae, 3),
        "rmse_over_noise_sd": round(s["xgboost"]["rmse"] / floor_sd, 3),
        "mae_reduction_vs_physics_pct": round(
            100 * (1 - s["xgboost"]["mae"] / s["physics"]["mae"]), 1
        ),
        "folds": len(model.cv.folds),
    }
    cycle["goal_noise_floor"] = cycle["mae_over_noise_floor"] <= 1.25
    cycle["goal_physics"] = cycle["mae_reduction_vs_physics_pct"] >= 30
    print("cycle model:", json.dumps(cycle))

    daily = validate_daily(mine.daily, ml.demand, "synthetic mine")
    dm = fit_demand(daily, ml.demand, list(ml.demand.horizons), ml.seed)
    demand = {}
    for h, m in dm.summary.items():
        demand[f"h{h}"] = {
            "mape_pct": round(m["mape_pct"], 3),
            "snaive_mape_pct": round(m["snaive_mape_pct"], 3),
            "mape_ratio_vs_snaive": round(m["mape_pct"] / m["snaive_mape_pct"], 3),
            "coverage80_pct": round(m["coverage80_pct"], 1),
            "coverage95_pct": round(m["coverage95_pct"], 1),
            "forecasts": int(m["n"]),
        }
    h7 = demand.get("h7", {})
    goals = {
        "goal_mape7": h7.get("mape_ratio_vs_snaive", 9) <= 0.8,
        "goal_coverage": all(
            abs(d["coverage80_pct"] - 80) <= 5 and abs(d["coverage95_pct"] - 95) <= 5
            for d in demand.values()
        ),
    }
    print("demand forecast:", json.dumps({**demand, **goals}))

    rng = np.random.default_rng(args.seed)
    big = frame.iloc[rng.integers(0, len(frame), args.timing_rows)].reset_index(drop=True)
    started, cpu = time.perf_counter(), time.process_time()
    _booster, meta = fit_xgb(big, ml.cycle, ml.seed)
    xgb_s, xgb_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    fit_physics(big, meta)
    phys_s = time.perf_counter() - started
    timing = {
        "rows": len(big),
        "xgboost_fit_s": round(xgb_s, 2),
        "xgboost_fit_cpu_s": round(xgb_cpu, 2),  # wall time depends on what else runs
        "physics_fit_s": round(phys_s, 2),
        "xgboost_over_physics": round(xgb_s / phys_s, 1),
        "goal_under_60s": xgb_s < 60,
        "threads": ml.cycle.xgb_params.get("nthread"),
    }
    print("training time:", json.dumps(timing))
    emit({"cycle": cycle, "demand": {**demand, **goals}, "timing": timing}, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
