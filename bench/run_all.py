"""Run every bench in ``bench/`` and print one table: figure, measured, baseline, ratio, goal, met.

    python bench/run_all.py [--quick] [--only NAME ...] [--markdown] [--timeout-seconds N]
    python bench/run_all.py --rows-from SAVED_OUTPUT [--markdown]

Each bench runs as its own process (in its own process group) with a deadline: ``--timeout-seconds``
or the bench's own in ``BENCHES``. Its last stdout line is its JSON result; ``BENCHES`` says which
keys are each figure, its baseline (measured in the same run), its ratio and its goal (the goals
of each bench's docstring). A bench that fails or times out is a row saying so and the others
still run; the exit code is 1 if any failed or lacked a figure's number (a missed goal is a row,
not a failure). ``--markdown`` prints the README's table. The last line is JSON: every row.
``--rows-from FILE`` prints the table of a saved run's output (its last line) and runs nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
STOP_GRACE_S = 30  # after SIGINT (the bench's cleanup runs) before SIGKILL


@dataclass(frozen=True)
class Goal:
    """``on`` (``measured`` or ``ratio``) ``op`` ``value``; ``text`` as the docstring says it."""

    on: str
    op: str
    value: float
    text: str

    def met(self, measured: float | None, ratio: float | None) -> bool | None:
        x = measured if self.on == "measured" else ratio
        if x is None:
            return None
        return {
            "<": x < self.value,
            "<=": x <= self.value,
            ">": x > self.value,
            ">=": x >= self.value,
        }[self.op]


@dataclass(frozen=True)
class Figure:
    """One row: JSON key paths (dots into objects and lists) of the measured value, its baseline
    and the ratio measured / baseline (computed when the bench does not print it)."""

    label: str
    measured: str
    baseline: str | None = None
    ratio: str | None = None
    goal: Goal | None = None
    unit: str = ""


@dataclass(frozen=True)
class Bench:
    figures: tuple[Figure, ...]
    timeout_s: int  # full sizes
    quick_timeout_s: int
    script: Path | None = None  # default bench/<name>.py

    def path(self, name: str) -> Path:
        return self.script or BENCH_DIR / f"{name}.py"


def _g(on: str, op: str, value: float, text: str = "") -> Goal:
    return Goal(on, op, value, text or f"{'ratio ' if on == 'ratio' else ''}{op} {value:g}")


BENCHES: dict[str, Bench] = {
    "dag_parse": Bench(
        (
            Figure("worst DAG file import vs airflow.sdk alone", "worst_total_s", "sdk_s",
                   "worst_ratio", _g("ratio", "<", 2), "s"),
            Figure("largest own import time of a DAG file", "max_own_s",
                   goal=_g("measured", "<", 1, "< 1 s"), unit="s"),
        ),
        timeout_s=1800, quick_timeout_s=300,
    ),
    "synth_throughput": Bench(
        (
            Figure("generate telemetry rows/s vs pandas to_csv", "generate_rows_per_s",
                   "baseline_rows_per_s"),
            Figure("generate + CSV file rows/s vs pandas to_csv", "csv_rows_per_s",
                   "baseline_rows_per_s"),
            Figure("peak memory", "peak_mb", goal=_g("measured", "<", 2048, "< 2 GB"), unit="MB"),
        ),
        timeout_s=1800, quick_timeout_s=300,
    ),
    "load_throughput": Bench(
        (
            Figure("extract+load CSV rows/s vs psql \\copy", "csv_rows_per_s", "psql_rows_per_s",
                   "ratio", _g("ratio", ">=", 0.5)),
            Figure("extract+load JSON rows/s vs psql \\copy", "json_rows_per_s",
                   "psql_rows_per_s", "json_ratio"),
            Figure("loader alone rows/s vs psql \\copy", "loader_rows_per_s", "psql_rows_per_s",
                   "loader_ratio", _g("ratio", ">=", 0.5)),
            Figure("CSV peak RSS growth, rows vs rows/5", "csv_peak_mib.1", "csv_peak_mib.0",
                   goal=_g("ratio", "<=", 1.5, "flat (ratio <= 1.5)"), unit="MiB"),
        ),
        timeout_s=3600, quick_timeout_s=420,
    ),
    "dbt_incremental": Bench(
        (
            Figure("incremental run after one new day vs full refresh", "incremental_s", "full_s",
                   "ratio", _g("ratio", "<=", 0.1), "s"),
        ),
        timeout_s=5400, quick_timeout_s=600,
    ),
    "gate_cost": Bench(
        (
            Figure("raw gate after one new day, long vs short history", "long_s", "short_s",
                   "ratio", _g("ratio", "<=", 1.5, "near 1 (ratio <= 1.5)"), "s"),
        ),
        timeout_s=3600, quick_timeout_s=420,
    ),
    "transform_overhead": Bench(
        (
            Figure("transform DAG on the scheduler vs plain dbt build + gates", "dag_s",
                   "baseline_s", "ratio", _g("ratio", "<=", 1.3), "s"),
        ),
        timeout_s=5400, quick_timeout_s=900,
    ),
    "model_quality": Bench(
        (
            Figure("cycle model MAE vs noise floor", "cycle.cv_mae_l", "cycle.noise_floor_mae_l",
                   "cycle.mae_over_noise_floor", _g("ratio", "<=", 1.25), "L"),
            Figure("cycle model MAE vs physics baseline", "cycle.cv_mae_l",
                   "cycle.physics_mae_l", goal=_g("ratio", "<=", 0.7, ">= 30 % below"), unit="L"),
            Figure("demand MAPE at 7 d vs seasonal naive", "demand.h7.mape_pct",
                   "demand.h7.snaive_mape_pct", "demand.h7.mape_ratio_vs_snaive",
                   _g("ratio", "<=", 0.8), "%"),
            Figure("demand 80 % interval coverage at 7 d", "demand.h7.coverage80_pct",
                   goal=_g("measured", ">=", 75, "80 ± 5 (>= 75)"), unit="%"),
            Figure("demand 95 % interval coverage at 7 d", "demand.h7.coverage95_pct",
                   goal=_g("measured", ">=", 90, "95 ± 5 (>= 90)"), unit="%"),
            Figure("cycle model training vs physics fit", "timing.xgboost_fit_s",
                   "timing.physics_fit_s", "timing.xgboost_over_physics",
                   _g("measured", "<", 60, "< 60 s (1 M rows)"), "s"),
            Figure("demand MAPE, unseen series, 7/15/30 d vs seasonal naive",
                   "demand_unseen.pooled.mape_pct", "demand_unseen.pooled.snaive_mape_pct",
                   "demand_unseen.pooled.mape_ratio_vs_snaive", _g("ratio", "<=", 0.8), "%"),
            Figure("demand 80 % coverage, unseen series", "demand_unseen.pooled.coverage80_pct",
                   goal=_g("measured", ">=", 70, "70–90 (>= 70)"), unit="%"),
            Figure("demand 95 % coverage, unseen series", "demand_unseen.pooled.coverage95_pct",
                   goal=_g("measured", ">=", 88, "88–99.5 (>= 88)"), unit="%"),
        ),
        timeout_s=5400, quick_timeout_s=900,
    ),
    "milp_scaling": Bench(
        (
            Figure("MILP gap at 100x15x6", "goal_size_gap_pct",
                   goal=_g("measured", "<=", 1, "<= 1 %"), unit="%"),
            Figure("MILP solve at 100x15x6 vs greedy", "goal_size_solve_s", "goal_size_greedy_s",
                   goal=_g("measured", "<=", 30, "<= 30 s"), unit="s"),
            Figure("median saving vs greedy", "median_saving_pct",
                   goal=_g("measured", ">=", 5, ">= 5 %"), unit="%"),
        ),
        timeout_s=5400, quick_timeout_s=420,
    ),
    "api_latency": Bench(
        (
            Figure("POST /v1/cycle-fuel p95, 20 clients", "p95_ms",
                   goal=_g("measured", "<", 50, "< 50 ms"), unit="ms"),
            Figure("POST /v1/cycle-fuel p50, 20 clients", "p50_ms", unit="ms"),
            Figure("requests per second", "requests_per_s"),
        ),
        timeout_s=1800, quick_timeout_s=420,
    ),
    "drift_power": Bench(
        (
            Figure("detection of a 10 % shift", "detection_rate_pct",
                   goal=_g("measured", ">=", 95), unit="%"),
            Figure("false alarms", "false_alarm_rate_pct", goal=_g("measured", "<=", 5), unit="%"),
            Figure("full drift check vs KS tests alone", "full_check_s_median",
                   "baseline_ks_only_s_median", "full_check_vs_baseline_ratio",
                   _g("measured", "<", 10, "< 10 s"), "s"),
        ),
        timeout_s=3600, quick_timeout_s=480,
    ),
    "plan_realised": Bench(
        (
            Figure("median realised saving, MILP vs greedy", "median_realised_saving_vs_greedy_pct",
                   unit="%"),
            Figure("median realised saving, MILP vs dispatch",
                   "median_realised_saving_vs_dispatch_pct", unit="%"),
            Figure("median |predicted - realised| litres", "median_abs_prediction_error_pct",
                   unit="%"),
        ),
        timeout_s=5400, quick_timeout_s=600,
    ),
}  # fmt: skip


@dataclass
class Row:
    bench: str
    figure: str
    measured: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    unit: str = ""
    goal: str = ""
    met: bool | None = None
    status: str = "ok"  # ok | missing | failed | timed out
    detail: str = ""


@dataclass
class Outcome:
    """A bench process's end: its exit code (None when it timed out), output and seconds."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float


def lookup(doc: Any, path: str) -> float | None:
    """The number at ``path`` (keys and list indices joined by dots), or None."""
    for part in path.split("."):
        if isinstance(doc, Mapping) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return None
    if isinstance(doc, bool) or not isinstance(doc, int | float) or not math.isfinite(doc):
        return None
    return float(doc)


def last_json(stdout: str) -> dict[str, Any] | None:
    """The bench's result: its last non-empty stdout line parsed as a JSON object."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        doc = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def rows_for(name: str, bench: Bench, doc: Mapping[str, Any]) -> list[Row]:
    """Map a bench's JSON result to its table rows through ``bench.figures``."""
    rows = []
    for fig in bench.figures:
        measured = lookup(doc, fig.measured)
        baseline = lookup(doc, fig.baseline) if fig.baseline else None
        ratio = lookup(doc, fig.ratio) if fig.ratio else None
        if ratio is None and measured is not None and baseline:
            ratio = round(measured / baseline, 4)
        missing = [
            p
            for p, v in ((fig.measured, measured), (fig.baseline, baseline), (fig.ratio, ratio))
            if p and v is None
        ]
        rows.append(
            Row(
                name,
                fig.label,
                measured,
                baseline,
                ratio,
                fig.unit,
                fig.goal.text if fig.goal else "",
                fig.goal.met(measured, ratio) if fig.goal else None,
                "missing" if missing else "ok",
                f"no number at {', '.join(missing)}" if missing else "",
            )
        )
    return rows


def failed_rows(name: str, outcome: Outcome, timeout_s: float) -> list[Row]:
    """The single row of a bench that timed out, failed, or printed no JSON result."""
    tail = (outcome.stderr.strip().splitlines() or outcome.stdout.strip().splitlines() or [""])[-1]
    if outcome.returncode is None:
        return [Row(name, "—", status="timed out", detail=f"no result within {timeout_s:g} s")]
    if outcome.returncode != 0:
        return [Row(name, "—", status="failed", detail=f"exit {outcome.returncode}: {tail[:200]}")]
    return [Row(name, "—", status="failed", detail="last stdout line is not a JSON object")]


def run_bench(script: Path, quick: bool, timeout_s: float) -> Outcome:
    """Run ``script`` in its own process group; on the deadline SIGINT the group (so the bench's
    cleanup runs), then SIGKILL it after ``STOP_GRACE_S``."""
    cmd = [sys.executable, str(script), *(["--quick"] if quick else [])]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
        return Outcome(proc.returncode, out, err, time.monotonic() - started)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        out, err = proc.communicate()
        return Outcome(None, out, err, time.monotonic() - started)
    except BaseException:
        _stop_group(proc)
        raise


def _stop_group(proc: subprocess.Popen) -> None:
    _signal_group(proc, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_GRACE_S)
    _signal_group(proc, signal.SIGKILL)  # whatever is left of the group
    proc.wait()


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _met(row: Row) -> str:
    if row.status != "ok":
        return row.status
    return {True: "met", False: "missed", None: "—"}[row.met]


def table(rows: Sequence[Row], markdown: bool) -> str:
    """The rows as a plain-text or Markdown table."""
    head = ["bench", "figure", "measured", "baseline", "ratio", "goal", "met?"]
    body = [
        [
            f"`bench/{r.bench}.py`" if markdown else r.bench,
            r.figure + (f" ({r.detail})" if r.detail else ""),
            _num(r.measured) + (f" {r.unit}" if r.unit and r.measured is not None else ""),
            _num(r.baseline) + (f" {r.unit}" if r.unit and r.baseline is not None else ""),
            _num(r.ratio),
            r.goal or "—",
            _met(r),
        ]
        for r in rows
    ]
    if markdown:
        lines = [head, ["---"] * len(head), *body]
        return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in lines)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *body]
    )


def _print_saved(path: Path, markdown: bool) -> int:
    """The table of a run_all output saved to ``path`` (its last line); exit 2 if unreadable."""
    try:
        rows = [Row(**r) for r in (last_json(path.read_text()) or {}).get("rows", [])]
    except (OSError, TypeError) as exc:
        print(f"run_all: {path}: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"run_all: {path}: no run_all rows in its last line", file=sys.stderr)
        return 2
    print(table(rows, markdown))
    return 0


def main(argv: Sequence[str] | None = None, benches: Mapping[str, Bench] = BENCHES) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every bench at its --quick sizes")
    parser.add_argument("--only", nargs="+", metavar="NAME", help=f"of: {', '.join(benches)}")
    parser.add_argument("--markdown", action="store_true", help="print the README's table")
    parser.add_argument(
        "--timeout-seconds", type=float, help="deadline of every bench (default: each bench's)"
    )
    parser.add_argument(
        "--rows-from", type=Path, metavar="FILE", help="print the table of a saved run (run none)"
    )
    args = parser.parse_args(argv)
    if args.rows_from:
        return _print_saved(args.rows_from, args.markdown)
    unknown = sorted(set(args.only or ()) - set(benches))
    if unknown:
        print(f"run_all: unknown bench {', '.join(unknown)}; known: {', '.join(benches)}",
              file=sys.stderr)  # fmt: skip
        return 2
    rows: list[Row] = []
    for name, bench in benches.items():
        if args.only and name not in args.only:
            continue
        timeout_s = args.timeout_seconds or (
            bench.quick_timeout_s if args.quick else bench.timeout_s
        )
        print(f"run_all: {name} (deadline {timeout_s:g} s)", file=sys.stderr, flush=True)
        outcome = run_bench(bench.path(name), args.quick, timeout_s)
        doc = last_json(outcome.stdout) if outcome.returncode == 0 else None
        found = failed_rows(name, outcome, timeout_s) if doc is None else rows_for(name, bench, doc)
        state = "done" if doc is not None else found[0].status
        print(f"run_all: {name} {state} in {outcome.seconds:.0f} s", file=sys.stderr, flush=True)
        rows.extend(found)
    print(table(rows, args.markdown))
    failed = sorted({r.bench for r in rows if r.status != "ok"})
    print(json.dumps({"quick": args.quick, "failed": failed, "rows": [asdict(r) for r in rows]}))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
