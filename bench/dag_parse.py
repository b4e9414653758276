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
    args = parser.parse_args()
    bare = measure(None, args.runs)["total"]
    print(f"airflow.sdk alone: {bare:.3f} s (median of {args.runs})")
    print(f"{'DAG file':<28}{'total s':>9}{'own s':>8}{'ratio':>8}  goal")
    worst = 0.0
    for path in sorted((ROOT / "dags").glob("*.py")):
        m = measure(path, args.runs)
        ratio = m["total"] / bare
        worst = max(worst, ratio)
        verdict = "ok" if m["own"] < 1.0 and ratio < 2.0 else "MISSED"
        print(f"{path.name:<28}{m['total']:>9.3f}{m['own']:>8.3f}{ratio:>7.2f}x  {verdict}")
    print(f"worst ratio to bare airflow.sdk import: {worst:.2f}x (goal < 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
