"""`fuelopt synth` command line: outputs, defaults, bad input (exit 2, one line)."""

from __future__ import annotations

import json

import pytest

from fuelopt.cli import main
from fuelopt.synth import MineSpec


def test_defaults_come_from_config():
    from fuelopt.config import get_settings

    cfg = get_settings().synth
    spec = MineSpec()
    assert (spec.seed, spec.days, spec.trucks, spec.start) == (
        cfg.seed, cfg.days, cfg.trucks, cfg.start,
    )  # fmt: skip


def test_writes_tables_and_truth(tmp_path, capsys):
    out = tmp_path / "mine"
    code = main(["synth", "--seed", "2", "--days", "1", "--trucks", "2", "--shovels", "1",
                 "--dumps", "1", "--start", "2026-06-01", "--scenario", "payload_shift",
                 "--scenario-day", "0", "--out", str(out)])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"]["truck_telemetry"] >= 2 * 1440
    facts = json.loads((out / "truth.json").read_text())
    assert facts["spec"]["scenario"] == "payload_shift"
    assert facts["spec"]["start"] == "2026-06-01"
    assert facts["rows"]["truck_telemetry"] == summary["rows"]["truck_telemetry"]
    assert "truck_telemetry" in facts["defect_counts"]
    assert not list(out.glob(".*tmp"))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--days", "0"], "days"),
        (["--start", "2026-02-30"], "--start"),
        (["--format", "xlsx"], "--format"),
        (["--scenario", "flood", "--scenario-day", "1"], "--scenario"),
        (["--scenario", "payload_shift", "--scenario-day", "99"], "--scenario-day"),
        (["--trucks", "-3"], "--trucks"),
        ([], "--out"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, field):
    extra = [] if args == [] else ["--out", str(tmp_path / "x")]
    assert main(["synth", *args, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err
    assert not (tmp_path / "x").exists()
