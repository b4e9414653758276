"""Synthetic mine: telemetry rows per second (generate, +file, +COPY load) and peak memory.

Each case runs in its own process (so its peak RSS is its own) ``--repeats`` times; the median
is reported, and as a ratio against a baseline measured in the same run: plain pandas writing
the same number of already-built telemetry rows to CSV. Peak memory is shown for two sizes to
show it does not grow with the number of days (telemetry is streamed one day at a time).
Goal: peak memory < 2 GB (any size: a year of 60 trucks). The last line is JSON.

    python bench/synth_throughput.py --days 7 --trucks 60 [--load] [--repeats 3]

``--load`` makes a scratch telemetry + operations database pair (dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench_args import emit, parse_args

# --quick: sizes for a CI-sized machine
QUICK = {"days": 2, "trucks": 20, "repeats": 1}


def _child(case: str, days: int, trucks: int, out: str, tel: str, ops: str) -> None:
    """Run one case and print its JSON measurement."""
    import pandas as pd

    from fuelopt.synth import MineSpec, iter_telemetry
    from fuelopt.synth.output import write_mine

    spec = MineSpec(seed=1, days=days, trucks=trucks, start=date(2026, 1, 1))
    t0 = time.perf_counter()
    rows = 0
    if case == "baseline_pandas_csv":
        chunk = next(iter_telemetry(MineSpec(seed=1, days=1, trucks=trucks, clean=True)))
        t0 = time.perf_counter()
        with open(Path(out) / "baseline.csv", "w") as fh:
            for _ in range(days):
                chunk.to_csv(fh, index=False, header=rows == 0)
                rows += len(chunk)
    elif case == "generate":
        for chunk in iter_telemetry(spec):
            rows += len(chunk)
    elif case in ("csv", "parquet"):
        rows = write_mine(spec, Path(out), case)["rows"]["truck_telemetry"]
    elif case == "load":
        rows = write_mine(spec, None, load=True, telemetry_uri=tel, operations_uri=ops)["rows"][
            "truck_telemetry"
        ]
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    del pd
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb}))


def _run(case: str, days: int, trucks: int, tel: str = "", ops: str = "") -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, __file__, "--child", case, "--days", str(days),
               "--trucks", str(trucks), "--out", out, "--tel", tel, "--ops", ops]  # fmt: skip
        result = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _scratch_sources() -> tuple[str, str, list[str]]:
    import psycopg

    from fuelopt.config import get_settings
    from fuelopt.synth.load import init_sources
    from fuelopt.warehouse.bootstrap import ensure_database, ensure_role
    from fuelopt.warehouse.db import admin_uri, with_database

    loader = get_settings().warehouse.roles.loader
    names = [f"fuelopt_bench_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("tel", "ops")]
    with psycopg.connect(admin_uri(), autocommit=True) as conn:
        ensure_role(conn, loader)
    for name in names:
        ensure_database(admin_uri(), name, loader)
    parts = urlsplit(admin_uri())
    base = urlunsplit(parts._replace(netloc=f"{loader}@{parts.hostname}:{parts.port or 5432}"))
    tel, ops = (with_database(base, n) for n in names)
    init_sources(tel, ops)
    return tel, ops, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--trucks", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--load", action="store_true", help="also measure COPY into PostgreSQL")
    parser.add_argument("--child")
    parser.add_argument("--out", default="")
    parser.add_argument("--tel", default="")
    parser.add_argument("--ops", default="")
    args = parse_args(parser, QUICK)
    if args.child:
        _child(args.child, args.days, args.trucks, args.out, args.tel, args.ops)
        return

    tel = ops = ""
    names: list[str] = []
    if args.load:
        tel, ops, names = _scratch_sources()
    cases = ["baseline_pandas_csv", "generate", "csv", "parquet"] + (["load"] if args.load else [])
    try:
        results = {}
        for case in cases:
            runs = [_run(case, args.days, args.trucks, tel, ops) for _ in range(args.repeats)]
            rate = statistics.median(r["rows"] / r["seconds"] for r in runs)
            peak = max(r["peak_mb"] for r in runs)
            results[case] = {"rows": runs[0]["rows"], "rows_per_s": round(rate), "peak_mb": peak}
        base = results["baseline_pandas_csv"]["rows_per_s"]
        small = _run("generate", max(1, args.days // 4), args.trucks)
        print(f"telemetry rows: {results['generate']['rows']:,} "
              f"({args.days} days x {args.trucks} trucks), median of {args.repeats}")  # fmt: skip
        print(f"{'case':<22}{'rows/s':>12}{'vs baseline':>13}{'peak MB':>10}")
        for case, r in results.items():
            print(f"{case:<22}{r['rows_per_s']:>12,}{r['rows_per_s'] / base:>13.2f}"
                  f"{r['peak_mb']:>10.0f}")  # fmt: skip
        growth = results["generate"]["peak_mb"] / small["peak_mb"]
        print(f"peak memory, generate {args.days} days vs {max(1, args.days // 4)}: x{growth:.2f}")
        year_rows = 365 * 1440 * args.trucks
        slowest = min(r["rows_per_s"] for c, r in results.items() if c != "baseline_pandas_csv")
        print(f"a year of {args.trucks} trucks = {year_rows:,} rows: about "
              f"{year_rows / slowest / 60:.0f} min at the slowest case's rate")  # fmt: skip
        result = {
            "days": args.days,
            "trucks": args.trucks,
            "repeats": args.repeats,
            "rows": results["generate"]["rows"],
            "baseline_rows_per_s": base,
            "generate_rows_per_s": results["generate"]["rows_per_s"],
            "csv_rows_per_s": results["csv"]["rows_per_s"],
            "parquet_rows_per_s": results["parquet"]["rows_per_s"],
            "load_rows_per_s": results.get("load", {}).get("rows_per_s"),
            "peak_mb": round(max(r["peak_mb"] for r in results.values()), 1),
            "peak_growth": round(growth, 3),
            "goals": {"peak_mb": "< 2048"},
        }
        emit(result, args)
    finally:
        if names:
            from fuelopt.warehouse.bootstrap import drop_database

            for name in names:
                drop_database(name)


if __name__ == "__main__":
    main()
