"""Bench: the raw gate's time after one new day, on 1 month vs 12 months of gated history.

The raw gate validates each load batch once (fuelopt.quality.gates), so its cost should follow
the new batches, not the history. Two fresh warehouse databases get the same synthetic mine
(defects on): one the last ``--short-days`` days of history, the other ``--long-days``, loaded
day by day as the nightly extract does, every history batch marked as already gated (as earlier
runs would have left it), then ``ANALYZE``. Each then loads the same ``--new-days`` days one at a
time and times ``run_gate("raw")`` after each (median). The baseline is the short history; the
ratio long / short should be near 1 (flat). The databases are dropped at the end. Last line:
``{"short_s": …, "long_s": …, "ratio": …, "short_days": …, "long_days": …, "trucks": …}``.

    python bench/gate_cost.py [--short-days 30] [--long-days 365] [--trucks 4] [--new-days 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_args import emit, parse_args

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# --quick: sizes for a CI-sized machine
QUICK = {"short_days": 10, "long_days": 60, "trucks": 2, "new_days": 2}


def gate_seconds(mine, history: range, new_days: range) -> list[float]:
    """Load ``history`` into a fresh database, mark it gated, time the gate after each new day."""
    import psycopg
    from psycopg import sql

    from fuelopt.config import get_settings
    from fuelopt.quality.gates import run_gate
    from fuelopt.quality.suites import GATES, SUITES
    from fuelopt.warehouse.bootstrap import drop_database, ensure_database, init_warehouse
    from fuelopt.warehouse.db import admin_uri, relation

    loader = get_settings().warehouse.roles.loader
    name = f"fuelopt_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(admin_uri(), name, loader)
    uri = f"postgresql://{loader}@127.0.0.1:5432/{name}"
    now = datetime.now(UTC)
    try:
        init_warehouse(uri)
        for day in history:
            mine.load_day(uri, day, now - timedelta(days=history.stop - day + 1))
        mark = sql.SQL(
            "INSERT INTO {} (batch_id, suite, table_name, rows_validated, run_id)"
            " SELECT batch_id, %s, table_name, rows_loaded, 'bench-history' FROM {}"
            " WHERE table_name = %s"
        ).format(relation("ops", "gated_batches"), relation("ops", "load_audit"))
        with psycopg.connect(uri, autocommit=True) as conn:
            for suite in GATES["raw"]:
                conn.execute(mark, (suite, SUITES[suite].audit_table))
            conn.execute("ANALYZE")
        seconds = []
        for i, day in enumerate(new_days):
            mine.load_day(uri, day, now - timedelta(minutes=len(new_days) - i))
            with psycopg.connect(uri, autocommit=True) as conn:
                conn.execute("ANALYZE")
            start = time.perf_counter()
            report = run_gate("raw", uri=uri, run_id=f"bench-{day}")
            seconds.append(time.perf_counter() - start)
            print(f"  {len(history)} days of history, new day {day}: {seconds[-1]:.2f} s"
                  f" ({report.summary()})", flush=True)  # fmt: skip
        return seconds
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short-days", type=int, default=30)
    parser.add_argument("--long-days", type=int, default=365)
    parser.add_argument("--trucks", type=int, default=4)
    parser.add_argument("--new-days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parse_args(parser, QUICK)

    import os

    from fuelopt.config import get_settings
    from fuelopt.synth import MineSpec
    from tests.support.raw_data import MineData

    docs = tempfile.TemporaryDirectory(prefix="gate_cost_docs_")
    os.environ["FUELOPT__QUALITY__DATA_DOCS_DIR"] = docs.name  # keep the bench out of artifacts
    get_settings.cache_clear()
    total = args.long_days + args.new_days
    t0 = time.perf_counter()
    mine = MineData.generate(
        MineSpec(seed=args.seed, days=total, trucks=args.trucks, shovels=3, dumps=2)
    )
    print(f"generated {total} days in {time.perf_counter() - t0:.0f} s", flush=True)
    new_days = range(args.long_days, total)
    short = gate_seconds(mine, range(args.long_days - args.short_days, args.long_days), new_days)
    long = gate_seconds(mine, range(args.long_days), new_days)
    short_s, long_s = statistics.median(short), statistics.median(long)
    print(
        f"raw gate after one new day: {args.short_days} days of history {short_s:.2f} s,"
        f" {args.long_days} days {long_s:.2f} s; ratio {long_s / short_s:.2f} (goal: near 1)"
    )
    result = {
        "short_s": round(short_s, 3),
        "long_s": round(long_s, 3),
        "ratio": round(long_s / short_s, 3),
        "short_days": args.short_days,
        "long_days": args.long_days,
        "trucks": args.trucks,
    }
    emit(result, args)
    docs.cleanup()


if __name__ == "__main__":
    main()
