"""Bench: dbt full refresh vs an incremental run after one new day, on a year of synthetic mine.

Loads ``--days - --new-days`` days of the synthetic mine (defects on) into a fresh warehouse
database, times ``dbt run --full-refresh`` (the baseline, median of ``--repeats``), then loads one
new day at a time and times the incremental ``dbt run`` (median over ``--new-days`` days). Prints
the ratio incremental / full refresh (goal <= 0.1). Every load is followed by ``ANALYZE`` (as
autovacuum would, so the planner knows the tables' sizes). Tests are timed apart (``dbt test``
scans whole tables either way). The database is dropped at the end. The last line is JSON:
``{"full_s": …, "incremental_s": …, "ratio": …, "days": …, "trucks": …}``.

    python bench/dbt_incremental.py [--days 365] [--trucks 6] [--new-days 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_args import emit, parse_args

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# --quick: sizes for a CI-sized machine
QUICK = {"days": 60, "trucks": 3, "new_days": 2, "repeats": 1}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--trucks", type=int, default=6)
    parser.add_argument("--new-days", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parse_args(parser, QUICK)

    import pandas as pd
    import psycopg

    from fuelopt.config import get_settings
    from fuelopt.synth import MineSpec, generate_operations, iter_telemetry
    from fuelopt.transform.dbt_run import run_dbt
    from fuelopt.warehouse.bootstrap import drop_database, ensure_database, init_warehouse
    from fuelopt.warehouse.db import admin_uri
    from tests.support.raw_data import copy_raw

    loader = get_settings().warehouse.roles.loader
    name = f"fuelopt_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(admin_uri(), name, loader)
    uri = f"postgresql://{loader}@127.0.0.1:5432/{name}"
    target = ROOT / ".local" / "bench" / "dbt_target"
    try:
        init_warehouse(uri)
        spec = MineSpec(seed=args.seed, days=args.days, trucks=args.trucks, shovels=3, dumps=2)
        t0 = time.perf_counter()
        ops = generate_operations(spec)
        pd_start = pd.Timestamp(spec.start, tz="UTC") + pd.Timedelta(hours=6)
        base = datetime.now(UTC) - timedelta(days=args.days + 1)

        def day_of(frame: pd.DataFrame, column: str) -> pd.Series:
            times = pd.to_datetime(frame[column], utc=True).fillna(pd_start)
            return ((times - pd_start) // pd.Timedelta(days=1)).clip(lower=0)

        days_by_table = {
            "haul_cycles": day_of(ops["haul_cycles"], "dump_end"),
            "fuel_dispatch": day_of(ops["fuel_dispatch"], "dispensed_at"),
            "shift_plan": (
                pd.to_datetime(ops["shift_plan"]["shift_date"]) - pd.Timestamp(spec.start)
            ).dt.days,
        }
        telemetry = iter_telemetry(spec, days_per_chunk=1)

        def load_day(day: int) -> None:
            loaded_at = base + timedelta(days=day)
            copy_raw(uri, "equipment", ops["equipment"], loaded_at)
            for table, days in days_by_table.items():
                copy_raw(uri, table, ops[table][days.to_numpy() == day], loaded_at)
            copy_raw(uri, "truck_telemetry", next(telemetry), loaded_at)

        def analyze() -> None:
            with psycopg.connect(uri, autocommit=True) as conn:
                conn.execute("ANALYZE")

        history = args.days - args.new_days
        for day in range(history):
            load_day(day)
        analyze()
        print(f"loaded {history} days in {time.perf_counter() - t0:.0f} s", flush=True)

        def dbt(*cmd: str):
            return lambda: run_dbt([*cmd, "--quiet"], uri=uri, target_path=target)

        full = [_timed(dbt("run", "--full-refresh")) for _ in range(args.repeats)]
        full_tests = _timed(dbt("test"))
        incremental, slowest = [], {}
        for day in range(history, args.days):
            load_day(day)
            analyze()
            start = time.perf_counter()
            result = dbt("run")()
            incremental.append(time.perf_counter() - start)
            slowest = result.seconds
        incremental_tests = _timed(dbt("test"))
        full_s, incr_s = statistics.median(full), statistics.median(incremental)
        print(f"full refresh (median of {len(full)}): {full_s:.1f} s  (tests {full_tests:.1f} s)")
        print(
            f"incremental after one new day (median of {len(incremental)}): {incr_s:.1f} s"
            f"  (tests {incremental_tests:.1f} s)"
        )
        top = sorted(slowest.items(), key=lambda kv: -kv[1])[:5]
        print(
            "slowest models of the last incremental run: "
            + ", ".join(f"{k.split('.')[-1]} {v:.1f} s" for k, v in top)
        )
        print(f"ratio incremental / full refresh: {incr_s / full_s:.3f}  (goal <= 0.1)")
        result = {
            "full_s": round(full_s, 2),
            "incremental_s": round(incr_s, 2),
            "ratio": round(incr_s / full_s, 3),
            "days": args.days,
            "trucks": args.trucks,
        }
        emit(result, args)
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
