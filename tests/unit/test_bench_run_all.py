"""bench/run_all.py: each bench's result line mapped to rows, failing and timing-out benches,
``--only``, the Markdown table; every bench accepts ``--quick``. Subprocess behaviour uses small
bench scripts written to tmp_path (the real benches take minutes)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
NOT_BENCHES = {"run_all", "bench_args", "mine_features"}


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run_all = _module("run_all")
bench_args = _module("bench_args")

# The last line of each bench, with the keys its code prints (values invented).
RESULTS: dict[str, dict] = {
    "dag_parse": {
        "runs": 3, "sdk_s": 1.25, "worst_file": "transform_warehouse", "worst_total_s": 1.75,
        "worst_ratio": 1.4, "max_own_s": 0.5,
        "files": {"transform_warehouse": {"total_s": 1.75, "own_s": 0.5, "ratio": 1.4}},
        "goals": {"ratio": "< 2", "own_s": "< 1"},
    },
    "synth_throughput": {
        "days": 2, "trucks": 20, "repeats": 1, "rows": 57600, "baseline_rows_per_s": 400000,
        "generate_rows_per_s": 200000, "csv_rows_per_s": 100000, "parquet_rows_per_s": 150000,
        "load_rows_per_s": None, "peak_mb": 3000.0, "peak_growth": 1.01,
        "goals": {"peak_mb": "< 2048"},
    },
    "load_throughput": {
        "rows": 100000, "psql_rows_per_s": 200000, "csv_rows_per_s": 150000,
        "json_rows_per_s": 90000, "loader_rows_per_s": 80000, "to_sql_rows_per_s": 9000,
        "ratio": 0.75, "json_ratio": 0.45, "loader_ratio": 0.4, "goal": 0.5,
        "csv_peak_mib": [6.0, 6.3], "json_peak_mib": [8.0, 30.0], "loader_peak_mib": [5.0, 5.5],
        "peak_rows": [20000, 100000],
    },
    "dbt_incremental": {"full_s": 30.0, "incremental_s": 1.5, "ratio": 0.05, "days": 60,
                        "trucks": 3},
    "gate_cost": {"short_s": 0.5, "long_s": 1.0, "ratio": 2.0, "short_days": 10, "long_days": 60,
                  "trucks": 2},
    "transform_overhead": {"dag_s": 70.1, "baseline_s": 36.5, "ratio": 1.92, "mode": "local"},
    "model_quality": {
        "cycle": {
            "cv_mae_l": 4.0, "cv_rmse_l": 5.0, "physics_mae_l": 8.0, "linear_mae_l": 6.0,
            "noise_floor_mae_l": 4.2, "mae_over_noise_floor": 0.952, "rmse_over_noise_sd": 0.95,
            "mae_reduction_vs_physics_pct": 50.0, "folds": 5, "goal_noise_floor": True,
            "goal_physics": True,
        },
        "demand": {
            "h7": {"mape_pct": 6.6, "snaive_mape_pct": 10.0, "mape_ratio_vs_snaive": 0.66,
                   "coverage80_pct": 70.0, "coverage95_pct": 93.0, "forecasts": 40},
            "h15": {"mape_pct": 7.0, "snaive_mape_pct": 10.0, "mape_ratio_vs_snaive": 0.7,
                    "coverage80_pct": 80.0, "coverage95_pct": 95.0, "forecasts": 30},
            "goal_mape7": True, "goal_coverage": False,
        },
        "timing": {"rows": 200000, "xgboost_fit_s": 12.0, "xgboost_fit_cpu_s": 20.0,
                   "physics_fit_s": 0.5, "xgboost_over_physics": 24.0, "goal_under_60s": True,
                   "threads": 2},
        "demand_unseen": {
            "seeds": 1, "days": 760,
            "pooled": {"mape_pct": 6.0, "snaive_mape_pct": 8.0, "mape_ratio_vs_snaive": 0.75,
                       "coverage80_pct": 68.0, "coverage95_pct": 94.0, "forecasts": 600},
            "goal_mape": True, "goal_coverage": False,
        },
    },
    "milp_scaling": {
        "solver": "cbc", "time_limit_s": 60.0, "sizes": 3, "solved": 3,
        "median_saving_pct": 11.5, "median_gap_pct": 0.4, "worst_gap_pct": 0.9,
        "goal_size": "100x15x6", "goal_size_solve_s": 4.3, "goal_size_greedy_s": 0.01,
        "goal_size_gap_pct": 0.69,
        "scenarios": {"100x15x6": {"solve_s": 4.3, "greedy_s": 0.01, "gap_pct": 0.69,
                                   "saving_pct": 11.5}},
        "goals": {"goal_size_gap_pct": "<= 1"},
    },
    "api_latency": {
        "clients": 20, "rows_per_request": 10, "requests": 300, "champion_version": "1",
        "p50_ms": 76.0, "p95_ms": 194.0, "p99_ms": 250.0, "max_ms": 300.0,
        "requests_per_s": 221.0, "rows_per_s": 2210.0, "server_cpu_ms_per_request": 2.8,
        "client_cpu_ms_per_request": 2.3, "train_champion_s": 20.0, "cpus": 2,
        "goals": {"p95_ms": "< 50 (10 rows, 20 clients)"},
    },
    "drift_power": {
        "trucks": 20, "trials": 40, "window_rows_median": 300, "reference_rows": 5000,
        "feature": "payload_t", "shift_pct": 10.0, "detection_rate_pct": 100.0,
        "false_alarm_rate_pct": 2.5, "full_check_s_median": 0.55,
        "baseline_ks_only_s_median": 0.011, "full_check_vs_baseline_ratio": 50.0,
        "generate_mine_s": 12.0, "goals": {"detection_rate_pct": ">= 95"},
    },
    "plan_realised": {
        "shifts": 12, "mines": 3, "fuel": "mine", "median_realised_saving_vs_dispatch_pct": 9.0,
        "median_realised_saving_vs_greedy_pct": 3.0, "median_predicted_saving_vs_greedy_pct": 4.0,
        "queue_model": False, "shifts_without_milp_plan": [],
        "median_realised_saving_queue_vs_greedy_pct": 2.5,
        "median_realised_saving_plain_vs_greedy_pct": 3.0,
        "median_greedy_saving_vs_dispatch_pct": 6.0, "median_abs_prediction_error_pct": 4.0,
        "median_abs_prediction_error_plain_pct": 4.5,
        "median_abs_prediction_error_greedy_pct": 5.0,
        "median_queue_min_per_cycle": {"dispatch": 2.0, "greedy": 1.5, "milp": 1.2},
        "median_milp_tonnes_vs_target": 1.0, "tonnes_ratio_vs_dispatch": 1.0, "seconds": 100.0,
    },
}  # fmt: skip


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text("import json, os, signal, subprocess, sys, time\n" + body)
    return path


def _printing(tmp_path: Path, name: str, result: dict) -> Path:
    """A bench that insists on --quick, prints progress, then its result line."""
    return _script(
        tmp_path,
        name,
        "assert '--quick' in sys.argv, sys.argv\n"
        "print('loading data ...', flush=True)\n"
        f"print(json.dumps({result!r}))\n",
    )


def _fake(bench, script: Path):
    return dataclasses.replace(bench, script=script)


def _alive(pid: int, wait_s: float = 5.0) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not) after up to ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.1)
    return True


def _run(capsys, argv: list[str], benches) -> tuple[int, str, dict]:
    code = run_all.main(argv, benches=benches)
    out = capsys.readouterr().out.strip().splitlines()
    return code, "\n".join(out[:-1]), json.loads(out[-1])


def test_results_cover_every_bench_in_bench_dir() -> None:
    on_disk = {p.stem for p in BENCH_DIR.glob("*.py")} - NOT_BENCHES
    assert set(run_all.BENCHES) == on_disk
    assert set(RESULTS) == on_disk


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_figure_key_is_printed_by_its_bench(name: str) -> None:
    source = (BENCH_DIR / f"{name}.py").read_text()
    for fig in run_all.BENCHES[name].figures:
        for path in filter(None, (fig.measured, fig.baseline, fig.ratio)):
            for part in path.split("."):
                assert part.isdigit() or f'"{part}"' in source, (name, path)


def test_mapping_reads_each_bench_result(tmp_path: Path, capsys) -> None:
    fakes = {
        name: _fake(bench, _printing(tmp_path, name, RESULTS[name]))
        for name, bench in run_all.BENCHES.items()
    }
    code, text, doc = _run(capsys, ["--quick"], fakes)
    assert code == 0, text
    assert not doc["failed"] and doc["quick"] is True
    rows = doc["rows"]
    assert [r["status"] for r in rows] == ["ok"] * len(rows)
    assert {r["bench"] for r in rows} == set(RESULTS)
    by = {(r["bench"], r["figure"]): r for r in rows}
    for name, bench in run_all.BENCHES.items():
        for fig in bench.figures:
            row = by[name, fig.label]
            assert row["measured"] == run_all.lookup(RESULTS[name], fig.measured)
            if fig.baseline and not fig.ratio:
                assert row["ratio"] == pytest.approx(row["measured"] / row["baseline"])
            assert (row["met"] is None) == (fig.goal is None)
    assert by["dbt_incremental", "incremental run after one new day vs full refresh"]["met"]
    assert not by["gate_cost", "raw gate after one new day, long vs short history"]["met"]
    assert by["load_throughput", "CSV peak RSS growth, rows vs rows/5"]["ratio"] == pytest.approx(
        6.3 / 6.0
    )
    assert by["model_quality", "cycle model MAE vs physics baseline"]["ratio"] == 0.5
    assert not by["model_quality", "demand 80 % interval coverage at 7 d"]["met"]
    assert by["model_quality", "demand MAPE, unseen series, 7/15/30 d vs seasonal naive"]["met"]
    assert not by["model_quality", "demand 80 % coverage, unseen series"]["met"]
    assert not by["synth_throughput", "peak memory"]["met"]
    assert not by["api_latency", "POST /v1/cycle-fuel p95, 20 clients"]["met"]
    assert "missed" in text and "met" in text  # a missed goal is a row, not a failure


def test_failing_timing_out_and_silent_benches_are_rows(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(run_all, "STOP_GRACE_S", 1)
    pid_file = tmp_path / "grandchild.pid"
    bench = run_all.BENCHES["dbt_incremental"]
    fakes = {
        "broken": _fake(
            bench, _script(tmp_path, "broken", "print('boom', file=sys.stderr)\nsys.exit(3)\n")
        ),
        "stuck": _fake(
            bench,
            _script(
                tmp_path,
                "stuck",
                "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "child = subprocess.Popen(['sleep', '300'])\n"
                f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
                "time.sleep(300)\n",
            ),
        ),
        "silent": _fake(bench, _script(tmp_path, "silent", "print('no json here')\n")),
        "fine": _fake(bench, _printing(tmp_path, "fine", RESULTS["dbt_incremental"])),
    }
    started = time.monotonic()
    code, text, doc = _run(capsys, ["--quick", "--timeout-seconds", "3"], fakes)
    assert time.monotonic() - started < 60
    assert code == 1
    assert doc["failed"] == ["broken", "silent", "stuck"]
    status = {r["bench"]: r for r in doc["rows"]}
    assert status["broken"]["status"] == "failed" and "exit 3: boom" in status["broken"]["detail"]
    assert status["stuck"]["status"] == "timed out" and "3 s" in status["stuck"]["detail"]
    assert status["silent"]["status"] == "failed"
    assert status["fine"]["status"] == "ok"  # ran after the failures
    assert not _alive(int(pid_file.read_text()))  # the timed-out bench's whole group stopped
    assert "timed out" in text and "failed" in text


def test_a_missing_figure_fails_the_run(tmp_path: Path, capsys) -> None:
    broken = {k: v for k, v in RESULTS["gate_cost"].items() if k != "long_s"}
    fakes = {"gate_cost": _fake(run_all.BENCHES["gate_cost"], _printing(tmp_path, "g", broken))}
    code, _, doc = _run(capsys, ["--quick"], fakes)
    assert code == 1 and doc["failed"] == ["gate_cost"]
    assert doc["rows"][0]["status"] == "missing" and "long_s" in doc["rows"][0]["detail"]


def test_only_runs_the_named_benches(tmp_path: Path, capsys) -> None:
    fakes = {
        name: _fake(run_all.BENCHES[name], _printing(tmp_path, name, RESULTS[name]))
        for name in ("gate_cost", "dbt_incremental", "drift_power")
    }
    code, _, doc = _run(capsys, ["--quick", "--only", "drift_power", "gate_cost"], fakes)
    assert code == 0
    assert {r["bench"] for r in doc["rows"]} == {"drift_power", "gate_cost"}
    assert run_all.main(["--only", "no_such_bench"], benches=fakes) == 2
    assert "unknown bench no_such_bench" in capsys.readouterr().err


def test_markdown_prints_the_readme_table(tmp_path: Path, capsys) -> None:
    fakes = {"drift_power": _fake(run_all.BENCHES["drift_power"],
                                  _printing(tmp_path, "d", RESULTS["drift_power"]))}  # fmt: skip
    code, text, _ = _run(capsys, ["--quick", "--markdown"], fakes)
    lines = text.splitlines()
    assert code == 0
    assert lines[0] == "| bench | figure | measured | baseline | ratio | goal | met? |"
    assert lines[1] == "| --- | --- | --- | --- | --- | --- | --- |"
    assert lines[2].startswith("| `bench/drift_power.py` | detection of a 10 % shift | 100 %")
    assert len(lines) == 2 + len(run_all.BENCHES["drift_power"].figures)


def test_quick_sizes_replace_defaults_but_not_given_options(tmp_path: Path, capsys) -> None:
    def parse(argv: list[str]):
        parser = bench_args.argparse.ArgumentParser()
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--trucks", type=int, default=6)
        return bench_args.parse_args(parser, {"days": 60, "trucks": 3}, argv)

    assert (parse([]).days, parse([]).trucks) == (365, 6)
    assert (parse(["--quick"]).days, parse(["--quick"]).trucks) == (60, 3)
    assert parse(["--quick", "--days", "90"]).days == 90
    out = tmp_path / "result.json"
    bench_args.emit({"ratio": 0.5}, parse(["--json-out", str(out)]))
    assert capsys.readouterr().out == '{"ratio": 0.5}\n'
    assert json.loads(out.read_text()) == {"ratio": 0.5}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_bench_accepts_quick(name: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH_DIR / f"{name}.py"), "--help"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "--quick" in result.stdout and "--json-out" in result.stdout


def test_rows_from_prints_a_saved_run(tmp_path: Path, capsys) -> None:
    fakes = {
        name: _fake(run_all.BENCHES[name], _printing(tmp_path, name, RESULTS[name]))
        for name in ("milp_scaling", "load_throughput")
    }
    assert run_all.main(["--quick", "--markdown"], benches=fakes) == 0
    saved = capsys.readouterr().out
    (tmp_path / "run.log").write_text("run_all: progress\n" + saved)
    assert run_all.main(["--rows-from", str(tmp_path / "run.log"), "--markdown"]) == 0
    assert capsys.readouterr().out.strip() == "\n".join(saved.strip().splitlines()[:-1])
    assert "| 430 |" in saved  # solve / greedy time 4.3 / 0.01 printed as a plain number
    (tmp_path / "bad.log").write_text("no json\n")
    assert run_all.main(["--rows-from", str(tmp_path / "bad.log")]) == 2
    assert "no run_all rows" in capsys.readouterr().err
