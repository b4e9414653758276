"""Drift check power, false alarms and run time on six-hour windows of a 60-truck fleet.

A stationary synthetic mine (``--trucks`` trucks, clean data) gives a fixed reference (its first
``--reference-days`` days) and ``--trials`` consecutive six-hour current windows after it, so the
windows keep the mine's real clustering (routes, shifts, daily road states) and are as large as
six hours of that fleet. For each window, the full check of the monitored columns
(``fuelopt.monitor.drift.compare`` with the empirical-null calibration, as the DAG runs it):

- **false-alarm rate**: windows as generated where any column is flagged (goal <= 5 %);
- **detection rate**: the same windows with ``--feature`` scaled by 1 + ``--shift`` (a 10 % mean
  shift) where that feature is flagged (goal >= 95 %);
- **run time** of one full check, median of ``--repeats``, absolute (goal < 10 s) and as a ratio
  against a baseline measured in the same run: uncorrected KS tests alone on the same columns.

    python bench/drift_power.py [--trials 200] [--trucks 60] [--feature payload_t] [--shift 0.10]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_args import emit, parse_args

# --quick: sizes for a CI-sized machine
QUICK = {"trials": 40, "trucks": 20, "reference_days": 7, "repeats": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--trucks", type=int, default=60)
    parser.add_argument("--reference-days", type=int, default=14)
    parser.add_argument("--feature", default="payload_t")
    parser.add_argument("--shift", type=float, default=0.10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    args = parse_args(parser, QUICK)

    import pandas as pd
    from mine_features import build_features
    from scipy import stats

    from fuelopt.config import get_settings
    from fuelopt.monitor.drift import compare
    from fuelopt.synth import MineSpec

    window = get_settings().monitor.window
    hours = window.current_hours
    days = args.reference_days + int(args.trials * hours / 24) + 1
    t0 = time.perf_counter()
    frame = build_features(
        MineSpec(seed=args.seed, days=days, trucks=args.trucks, shovels=8, dumps=3, clean=True),
        frames=["cycles"],
    ).cycles
    generate_s = time.perf_counter() - t0
    ts = frame[window.time_column]
    split = ts.min().normalize() + pd.Timedelta(days=args.reference_days)
    reference = frame[ts < split]
    columns = window.columns

    false_alarms = detections = trials = 0
    sizes = []
    for k in range(args.trials):
        start = split + pd.Timedelta(hours=hours * k)
        current = frame[(ts > start) & (ts <= start + pd.Timedelta(hours=hours))]
        if len(current) == 0:
            break
        trials += 1
        sizes.append(len(current))
        plain = compare(reference, current, columns, time_column=window.time_column)
        false_alarms += bool(plain["drifted"])
        shifted = current.assign(**{args.feature: current[args.feature] * (1 + args.shift)})
        report = compare(reference, shifted, columns, time_column=window.time_column)
        detections += args.feature in report["drifted"]

    current = frame[(ts > split) & (ts <= split + pd.Timedelta(hours=hours))]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]

    def full_check() -> None:
        compare(reference, current, columns, time_column=window.time_column)

    def baseline() -> None:
        for col in numeric:
            stats.ks_2samp(reference[col].dropna(), current[col].dropna())

    def median_seconds(fn) -> float:
        runs = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)

    base_s, check_s = median_seconds(baseline), median_seconds(full_check)
    result = {
        "trucks": args.trucks,
        "trials": trials,
        "window_rows_median": statistics.median(sizes) if sizes else 0,
        "reference_rows": len(reference),
        "feature": args.feature,
        "shift_pct": args.shift * 100,
        "detection_rate_pct": round(100 * detections / max(trials, 1), 1),
        "false_alarm_rate_pct": round(100 * false_alarms / max(trials, 1), 1),
        "full_check_s_median": round(check_s, 3),
        "baseline_ks_only_s_median": round(base_s, 4),
        "full_check_vs_baseline_ratio": round(check_s / base_s, 1) if base_s else None,
        "generate_mine_s": round(generate_s, 1),
        "goals": {
            "detection_rate_pct": ">= 95",
            "false_alarm_rate_pct": "<= 5",
            "full_check_s": "< 10",
        },
    }
    emit(result, args)


if __name__ == "__main__":
    main()
