"""Bad input to the real ``fuelopt`` command line (a subprocess): exit 2, one stderr line naming
the option, file, row or field at fault, no traceback, and no work started."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.cli import run_cli
from tests.unit.test_optimize_cli import CONTRACT_EXAMPLE


def assert_bad_input(args: list[str], *expected: str, **env: str) -> str:
    done = run_cli(*args, timeout=120, **env)
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, err[-2000:])
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(CONTRACT_EXAMPLE))
    return path


def test_synth_days_beyond_the_configured_bound(tmp_path):
    from fuelopt.config import get_settings

    days = get_settings().synth.max_days + 1
    assert_bad_input(["synth", "--days", str(days), "--out", str(tmp_path / "m")], "--days")
    assert_bad_input(["synth", "--days", "100000000", "--out", str(tmp_path / "m")], "--days")
    assert not (tmp_path / "m").exists()


def test_synth_start_too_late_for_the_days():
    assert_bad_input(["synth", "--start", "9999-12-30", "--days", "3", "--out", "x"], "--start")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0"])
def test_optimize_time_limit_must_be_a_finite_positive_number(tmp_path, scenario, value):
    out = tmp_path / "plan.json"
    args = ["optimize", "--scenario", str(scenario), "--out", str(out), f"--time-limit={value}"]
    assert_bad_input(args, "--time-limit")
    assert not out.exists()


def test_scenario_that_is_a_folder_or_binary(tmp_path):
    binary = tmp_path / "scenario.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    for path in (tmp_path, binary):
        args = ["optimize", "--scenario", str(path), "--out", str(tmp_path / "p.json")]
        assert_bad_input(args, str(path))
        assert_bad_input(["validate-plan", "--scenario", str(path), "--plan", str(binary)])


@pytest.mark.parametrize("doc", ["[]", "null", '[{"status": "optimal"}]', "3"])
def test_plan_that_is_not_a_json_object(tmp_path, scenario, doc):
    plan = tmp_path / "plan.json"
    plan.write_text(doc)
    assert_bad_input(["validate-plan", "--scenario", str(scenario), "--plan", str(plan)], str(plan))


@pytest.mark.parametrize(
    "text",
    ["", "speed_kmh,payload_t\n", "other,names\n1,2\n3,4\n"],
    ids=["empty", "header", "cols"],
)
def test_drift_on_an_empty_or_unrelated_file(tmp_path, text):
    reference = tmp_path / "ref.csv"
    pd.DataFrame({"speed_kmh": np.arange(50.0), "payload_t": np.arange(50.0)}).to_csv(
        reference, index=False
    )
    current = tmp_path / "cur.csv"
    current.write_text(text)
    out = tmp_path / "drift.json"
    args = ["drift", "--reference", str(reference), "--current", str(current), "--out", str(out)]
    assert_bad_input(args, str(current))
    assert not out.exists()


@pytest.mark.parametrize("name", ["x' OR '1'='1", "a b", "", "x" * 300])
def test_model_name_must_match_the_pattern(name):
    assert_bad_input(["model", "promote", "--name", name], "--name")
    assert_bad_input(["model", "rollback", "--name", name], "--name")


def test_drift_names_a_stray_string_in_a_numeric_column(tmp_path):
    frame = pd.DataFrame({"speed_kmh": np.arange(60.0), "payload_t": np.arange(60.0) * 2})
    reference, current = tmp_path / "ref.csv", tmp_path / "cur.csv"
    frame.to_csv(reference, index=False)
    frame.astype(object).assign(
        payload_t=lambda f: f["payload_t"].where(f.index != 9, "about 7")
    ).to_csv(current, index=False)
    out = tmp_path / "drift.json"
    args = ["drift", "--reference", str(reference), "--current", str(current), "--out", str(out)]
    assert_bad_input(args, str(current), "row 10", "payload_t")
    assert not out.exists()


def test_validate_plan_refutes_an_infeasible_claim_for_a_solvable_scenario(tmp_path, scenario):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"status": "infeasible", "reason": "x", "assignments": []}))
    args = ["validate-plan", "--scenario", str(scenario), "--plan", str(plan)]
    assert_bad_input(args, str(plan), "status", "infeasible", "reaches every target")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["shift", "--date", "2026-02-30", "--shift", "day", "--format", "pdf"], "--date"),
        (["shift", "--date", "2026-01-09", "--shift", "day", "--format", "xlsx"], "--out"),
        (["weekly", "--week", "2026-W54", "--format", "pdf"], "--week"),
        (["weekly", "--week", "2026-09", "--format", "pdf"], "--week"),
    ],
)
def test_report_options_are_checked_before_the_warehouse(tmp_path, args, option):
    out = tmp_path / "report.pdf"
    # An unreachable warehouse: a bad option must be reported before any connection.
    done = run_cli(
        "report", *args, "--out", str(out), timeout=120,
        AIRFLOW_CONN_FUELOPT_WAREHOUSE="postgresql://nobody@127.0.0.1:1/none",
    )  # fmt: skip
    err = done.stderr.strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1 and option in err, err
    assert not out.exists()


def test_serve_refuses_to_start_without_a_token():
    from fuelopt.config import get_settings

    variable = get_settings().api.token_env
    assert_bad_input(["serve", "--port", "1"], variable, "--insecure-local", **{variable: ""})
