"""Import time of every DAG file vs importing ``airflow.sdk`` alone (fresh interpreters, medians).

    python bench/dag_parse.py [--runs 5]

For each file: the median wall time of a fresh interpreter importing ``airflow.sdk`` and then the
DAG file, the part the DAG file adds on top of ``airflow.sdk``, and the ratio of the total to the
bare ``airflow.sdk`` import measured in the same run. Goals: own time < 1 s, ratio < 2x.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench_args import emit, parse_args

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, sys, time, runpy
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
if len(sys.argv) > 1:
    runpy.run_path(sys.argv[1], run_name="dag_under_bench")
t2 = time.perf_counter()
print(json.dumps({"sdk": t1 - t0, "own": t2 - t1, "total": t2 - t0}))
"""


# --quick: sizes for a CI-sized machine
QUICK = {"runs": 3}


def measure(path: Path | None, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        cmd = [sys.executable, "-c", PROBE] + ([str(path)] if path else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
        samples.append(json.loads(out.strip().splitlines()[-1]))
    return {k: statistics.median(s[k] for s in samples) for k in ("sdk", "own", "total")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parse_args(parser, QUICK)
    bare = measure(None, args.runs)["total"]
    print(f"airflow.sdk alone: {bare:.3f} s (median of {args.runs})")
    print(f"{'DAG file':<28}{'total s':>9}{'own s':>8}{'ratio':>8}  goal")
    files = {}
    for path in sorted((ROOT / "dags").glob("*.py")):
        m = measure(path, args.runs)
        ratio = m["total"] / bare
        files[path.stem] = {"total_s": m["total"], "own_s": m["own"], "ratio": ratio}
        verdict = "ok" if m["own"] < 1.0 and ratio < 2.0 else "MISSED"
        print(f"{path.name:<28}{m['total']:>9.3f}{m['own']:>8.3f}{ratio:>7.2f}x  {verdict}")
    worst = max(files, key=lambda name: files[name]["ratio"])
    print(f"worst ratio to bare airflow.sdk import: {files[worst]['ratio']:.2f}x (goal < 2x)")
    result = {
        "runs": args.runs,
        "sdk_s": round(bare, 3),
        "worst_file": worst,
        "worst_total_s": round(files[worst]["total_s"], 3),
        "worst_ratio": round(files[worst]["ratio"], 3),
        "max_own_s": round(max(f["own_s"] for f in files.values()), 3),
        "files": {k: {n: round(v, 3) for n, v in f.items()} for k, f in files.items()},
        "goals": {"ratio": "< 2", "own_s": "< 1"},
    }
    emit(result, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
