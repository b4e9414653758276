"""Drift statistics and the ``fuelopt drift`` command (docs/contracts.md §5)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from fuelopt.cli import main
from fuelopt.monitor.drift import adjust_p_values, compare, psi_numeric

MODELS = ["CAT 793F", "Komatsu 930E"]


def make_cycles(
    n: int,
    seed: int,
    *,
    start: str = "2026-03-01",
    payload_factor: float = 1.0,
    poor_roads: bool = False,
    new_model: str | None = None,
) -> pd.DataFrame:
    """A crafted cycle-level feature frame (docs/contracts.md §1), optionally drifted."""
    rng = np.random.default_rng(seed)
    load_start = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(
        np.sort(rng.uniform(0, n * 0.5, n)), unit="min"
    )
    road = rng.choice(
        ["good", "fair", "poor"], n, p=[0.2, 0.2, 0.6] if poor_roads else [0.6, 0.3, 0.1]
    )
    speed = rng.normal(24 if poor_roads else 30, 3, n)
    payload = rng.normal(225, 12, n) * payload_factor
    models = rng.choice(MODELS, n).astype(object)
    if new_model:
        models[rng.random(n) < 0.3] = new_model
    loaded = rng.gamma(9, 0.4, n)
    frame = pd.DataFrame(
        {
            "cycle_id": [f"C{seed}-{i}" for i in range(n)],
            "truck_id": rng.choice([f"T{i:02d}" for i in range(12)], n),
            "shovel_id": rng.choice(["S1", "S2", "S3", "S4"], n),
            "dump_id": rng.choice(["D1", "D2"], n),
            "load_start": load_start,
            "dump_end": load_start + pd.Timedelta(minutes=25),
            "payload_t": payload,
            "loaded_distance_km": loaded,
            "empty_distance_km": loaded * rng.normal(1.0, 0.05, n),
            "rise_m": rng.normal(80, 10, n),
            "fall_m": rng.normal(10, 3, n),
            "queue_min": rng.gamma(2, 1.5, n),
            "avg_speed_kmh": speed,
            "road_condition": road,
            "truck_model": models,
            "truck_engine_hours": rng.uniform(5_000, 40_000, n),
        }
    )
    frame["fuel_l"] = (
        20 + 0.4 * frame["payload_t"] * frame["loaded_distance_km"] / 10 + rng.normal(0, 5, n)
    )
    return frame


def test_stationary_windows_raise_no_drift():
    for seed in range(3):
        report = compare(make_cycles(4000, seed), make_cycles(720, seed + 100))
        assert report["drifted"] == [], report["drifted"]
        assert report["severity"] == "none"


def test_payload_shift_is_detected_at_payload():
    report = compare(make_cycles(4000, 1), make_cycles(720, 2, payload_factor=1.12))
    assert "payload_t" in report["drifted"]
    assert report["columns"]["payload_t"]["severity"] == "high"
    assert report["severity"] == "high"
    assert "road_condition" not in report["drifted"]


def test_road_degradation_is_detected_at_road_condition_and_speed():
    report = compare(make_cycles(4000, 1), make_cycles(720, 2, poor_roads=True))
    assert {"road_condition", "avg_speed_kmh"} <= set(report["drifted"])
    road = report["columns"]["road_condition"]
    assert road["kind"] == "categorical" and road["ks_stat"] is None
    assert 0 <= road["p_value"] < 0.01
    assert "payload_t" not in report["drifted"]


def test_new_category_is_named_and_drifts():
    report = compare(make_cycles(3000, 1), make_cycles(720, 2, new_model="Liebherr T 284"))
    model = report["columns"]["truck_model"]
    assert model["new_categories"] == ["Liebherr T 284"]
    assert model["drift"] and "truck_model" in report["drifted"]


def test_identifiers_and_timestamps_are_not_compared_by_default():
    report = compare(make_cycles(500, 1), make_cycles(500, 2))
    assert not {"cycle_id", "load_start", "dump_end"} & set(report["columns"])


def test_constant_and_all_null_columns_give_clear_results():
    ref = pd.DataFrame({"a": [5.0] * 100, "b": [5.0] * 100, "n": [np.nan] * 100, "m": 1.0})
    cur = pd.DataFrame({"a": [5.0] * 80, "b": [7.0] * 80, "n": [np.nan] * 80, "m": np.nan})
    report = compare(ref, cur)
    a, b, n, m = (report["columns"][k] for k in "abnm")
    assert (a["psi"], a["p_value"], a["drift"]) == (0.0, 1.0, False)
    assert b["drift"] and b["severity"] == "high"
    assert n["status"] == "all_null" and n["psi"] is None and not n["drift"]
    assert m["status"] == "all_null_current" and not m["drift"]
    assert any("m: all null current" in w for w in report["warnings"])
    json.dumps(report, allow_nan=False)  # nothing non-finite leaks into the report


def test_constant_reference_sees_values_below_its_minimum():
    ref = pd.DataFrame({"x": [5.0] * 200})
    assert psi_numeric(ref["x"].to_numpy(), np.full(100, 3.0), 10, 1e-4) > 1


def test_empty_current_window_is_a_clear_result():
    ref = make_cycles(300, 1)
    report = compare(ref, ref.iloc[:0])
    assert report["drifted"] == [] and report["severity"] == "none"
    assert report["warnings"][0] == "current window has no rows"
    assert report["columns"]["payload_t"]["status"] == "empty_current"


def test_too_few_rows_are_reported_not_flagged():
    report = compare(make_cycles(300, 1), make_cycles(10, 2, payload_factor=1.5))
    assert report["columns"]["payload_t"]["status"] == "too_few_rows"
    assert report["drifted"] == []


def test_holm_correction_is_step_down_and_monotone():
    adjusted = adjust_p_values({"a": 0.01, "b": 0.04, "c": 0.03}, "holm")
    assert adjusted == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06})
    assert adjust_p_values({"a": 0.4, "b": 0.5}, "bonferroni") == {"a": 0.8, "b": 1.0}


def test_psi_and_ks_agree_with_definitions():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 5000)})
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, 2000)})
    res = compare(ref, cur)["columns"]["x"]
    from scipy import stats

    assert res["ks_stat"] == pytest.approx(stats.ks_2samp(ref["x"], cur["x"]).statistic)
    assert 0.15 < res["psi"] < 0.4  # PSI of a half-sigma shift is about 0.25


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def windows(tmp_path):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.csv"
    make_cycles(2000, 1).to_parquet(ref)
    make_cycles(720, 2, payload_factor=1.12).to_csv(cur, index=False)
    return ref, cur


def test_cli_writes_the_contract_report(windows, tmp_path):
    ref, cur = windows
    out = tmp_path / "out" / "report.json"
    assert main(["drift", "--reference", str(ref), "--current", str(cur), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report) >= {"columns", "drifted", "severity"}
    assert report["severity"] in ("none", "warning", "high")
    for col, res in report["columns"].items():
        assert set(res) >= {"psi", "ks_stat", "p_value", "drift"}, col
        assert isinstance(res["drift"], bool)
    assert report["drifted"] == [c for c, r in report["columns"].items() if r["drift"]]
    assert "payload_t" in report["drifted"]
    assert report["columns"]["payload_t"]["ks_stat"] > 0.3


def test_cli_columns_restricts_the_report(windows, tmp_path):
    ref, cur = windows
    out = tmp_path / "r.json"
    args = ["drift", "--reference", str(ref), "--current", str(cur), "--out", str(out)]
    assert main([*args, "--columns", "rise_m,road_condition"]) == 0
    report = json.loads(out.read_text())
    assert list(report["columns"]) == ["rise_m", "road_condition"]
    assert report["drifted"] == [] and report["severity"] == "none"


@pytest.mark.parametrize(
    ("case", "named"),
    [("missing_file", "nope.csv"), ("unknown_column", "bogus"), ("bad_suffix", "ref.txt")],
)
def test_cli_bad_input_exits_2_naming_it(windows, tmp_path, capsys, case, named):
    ref, cur = windows
    out = tmp_path / "r.json"
    args = ["drift", "--reference", str(ref), "--current", str(cur), "--out", str(out)]
    if case == "missing_file":
        args[2] = str(tmp_path / "nope.csv")
    elif case == "unknown_column":
        args += ["--columns", "payload_t,bogus"]
    else:
        (tmp_path / "ref.txt").write_text("a\n1\n")
        args[2] = str(tmp_path / "ref.txt")
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert named in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_console_script_reports_bad_input_without_traceback(tmp_path):
    ref = tmp_path / "ref.csv"
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(ref, index=False)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fuelopt",
            "drift",
            "--reference",
            str(ref),
            "--current",
            str(tmp_path / "missing.parquet"),
            "--out",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "missing.parquet" in proc.stderr and "Traceback" not in proc.stderr
