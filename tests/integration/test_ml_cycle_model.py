"""`fuelopt train-cycle-model` (docs/contracts.md §2) on the features dbt builds from a small
synthetic mine: JSON metrics, a pyfunc model that loads in a fresh process without fuelopt,
unseen categories, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fuelopt.cli import main
from fuelopt.config import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def fast_ml(settings_env) -> None:
    """Fewer boosting rounds: these tests check behaviour, bench/model_quality.py checks quality."""
    settings_env(FUELOPT__ML__CYCLE__NUM_BOOST_ROUND="80")


@pytest.fixture(scope="module")
def cycles(dbt_features) -> pd.DataFrame:
    return dbt_features("cycles").cycles


def _train(tmp_path: Path, frame: pd.DataFrame, capsys, suffix: str = ".parquet"):
    src = tmp_path / f"cycles{suffix}"
    frame.to_parquet(src) if suffix == ".parquet" else frame.to_csv(src, index=False)
    out = tmp_path / "model"
    code = main(["train-cycle-model", "--input", str(src), "--model-out", str(out)])
    return code, out, capsys.readouterr()


def test_train_prints_one_json_line_and_beats_the_physics_baseline(
    tmp_path, cycles, capsys, fast_ml
):
    code, out, cap = _train(tmp_path, cycles, capsys)
    assert code == 0
    lines = cap.out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    for key in ("mae_l", "mape_pct", "r2"):
        assert np.isfinite(result[key])
        for baseline in ("physics", "linear"):
            assert np.isfinite(result["baselines"][baseline][key])
    assert result["folds"] >= 1
    assert result["mae_l"] < result["baselines"]["physics"]["mae_l"]
    assert result["r2"] > 0.8
    assert (out / "MLmodel").is_file()


def test_saved_model_loads_in_a_fresh_process_without_fuelopt(tmp_path, cycles, capsys, fast_ml):
    code, out, _ = _train(tmp_path, cycles, capsys, suffix=".csv")
    assert code == 0
    frame = cycles.drop(columns=["fuel_l"]).head(50).copy()
    frame.loc[0, "truck_model"] = "Liebherr T 284"  # never seen in training
    frame.loc[1, "road_condition"] = "flooded"
    frame.loc[2, "payload_t"] = np.nan
    frame.loc[3, "avg_speed_kmh"] = 1e-54  # hours moving beyond float32: missing, not an error
    frame["operator_notes"] = "extra column, ignored"
    frame = frame[list(reversed(frame.columns))]  # column order does not matter
    frame.to_parquet(tmp_path / "score.parquet")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path = [p for p in sys.path if not p.rstrip('/').endswith('include')]
        sys.modules['fuelopt'] = None  # importing fuelopt now fails
        import mlflow, pandas as pd
        pred = mlflow.pyfunc.load_model({str(out)!r}).predict(
            pd.read_parquet({str(tmp_path / "score.parquet")!r}))
        print(len(pred), float(min(pred)), float(max(pred)), int(pd.isna(pred).sum()))
        """
    )
    env = {**os.environ, "PYTHONPATH": ""}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    n, lo, hi, nans = run.stdout.split()
    assert int(n) == 50 and int(nans) == 0
    assert 0 < float(lo) <= float(hi) < get_settings().ml.cycle.max_fuel_l


def test_predictions_track_the_fuel_sensor(tmp_path, cycles, capsys, fast_ml):
    import mlflow

    code, out, _ = _train(tmp_path, cycles.iloc[: len(cycles) * 3 // 4], capsys)
    assert code == 0
    held_out = cycles.iloc[len(cycles) * 3 // 4 :]
    pred = mlflow.pyfunc.load_model(str(out)).predict(held_out.drop(columns=["fuel_l"]))
    assert len(pred) == len(held_out)
    mape = np.mean(np.abs(pred - held_out["fuel_l"]) / held_out["fuel_l"])
    assert mape < 0.10
    # retraining into the same directory replaces the model
    assert _train(tmp_path, cycles, capsys)[0] == 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["rise_m"]), "missing column(s) rise_m"),
        (
            lambda f: f.assign(
                payload_t=f["payload_t"].astype(object).where(f.index != 3, "heavy")
            ),
            "row 4, field payload_t",
        ),
        (lambda f: f.head(10), "usable rows"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, cycles, capsys, mutate, message):
    src = tmp_path / "bad.csv"
    mutate(cycles.head(400).copy()).to_csv(src, index=False)
    code = main(["train-cycle-model", "--input", str(src), "--model-out", str(tmp_path / "m")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and message in err and str(src) in err
    assert not (tmp_path / "m").exists()


def test_missing_file_and_wrong_extension_are_bad_input(tmp_path, capsys):
    assert main(["train-cycle-model", "--input", str(tmp_path / "no.csv"), "--model-out", "x"]) == 2
    (tmp_path / "a.txt").write_text("x")
    assert main(["train-cycle-model", "--input", str(tmp_path / "a.txt"), "--model-out", "x"]) == 2
    assert "use .csv or .parquet" in capsys.readouterr().err
