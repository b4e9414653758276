"""Bad values in the feature files the ``fuelopt`` model commands read (a subprocess): exit 2,
one stderr line naming the file, row and field. The files start from the features dbt builds
from a small synthetic mine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.unit.test_cli_bad_input import assert_bad_input

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def daily(dbt_features) -> pd.DataFrame:
    return dbt_features("demand").daily


@pytest.fixture(scope="module")
def cycles(dbt_features) -> pd.DataFrame:
    return dbt_features("cycles").cycles


def test_forecast_horizons_beyond_the_configured_bound(tmp_path, daily):
    src = tmp_path / "daily.csv"
    daily.to_csv(src, index=False)
    args = ["forecast-demand", "--input", str(src), "--out", str(tmp_path / "f.csv")]
    assert_bad_input([*args, "--horizons", "100000000"], "--horizons")
    assert_bad_input([*args, "--horizons", "7,99999999999999999999999"], "--horizons")
    assert not (tmp_path / "f.csv").exists()


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e308])
def test_forecast_with_a_huge_or_infinite_value(tmp_path, daily, value):
    src = tmp_path / "daily.csv"
    daily.assign(fuel_l=daily["fuel_l"].where(daily.index != 4, value)).to_csv(src, index=False)
    args = ["forecast-demand", "--input", str(src), "--out", str(tmp_path / "f.csv")]
    assert_bad_input(args, str(src), "row 5", "fuel_l")


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e308])
@pytest.mark.parametrize("column", ["fuel_l", "loaded_distance_km"])
def test_train_cycle_model_with_a_huge_or_infinite_value(tmp_path, cycles, value, column):
    src = tmp_path / "cycles.csv"
    frame = cycles.copy()
    frame[column] = frame[column].astype(float)
    frame.loc[6, column] = value
    frame.to_csv(src, index=False)
    args = ["train-cycle-model", "--input", str(src), "--model-out", str(tmp_path / "model")]
    assert_bad_input(args, str(src), "row 7", column)
    assert not (tmp_path / "model").exists()
