"""`fuelopt forecast-demand` (docs/contracts.md §3): columns, dates, ordered intervals, honest
coverage, short or broken series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fuelopt.cli import main
from fuelopt.config import get_settings

pytestmark = pytest.mark.integration  # the series is what dbt builds (PostgreSQL)

COLUMNS = ["horizon_days", "target_date", "pred", "lo80", "hi80", "lo95", "hi95"]


@pytest.fixture(scope="module")
def daily(dbt_features) -> pd.DataFrame:
    return dbt_features("demand").daily


def _read(path):
    return pd.read_csv(path) if str(path).endswith(".csv") else pd.read_parquet(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_forecast_file_has_one_ordered_row_per_horizon(tmp_path, daily, suffix):
    src = tmp_path / f"daily{suffix}"
    daily.to_csv(src, index=False) if suffix == ".csv" else daily.to_parquet(src)
    out = tmp_path / f"forecast{suffix}"
    assert (
        main(["forecast-demand", "--input", str(src), "--horizons", "7,15,30", "--out", str(out)])
        == 0
    )
    fc = _read(out)
    assert list(fc.columns) == COLUMNS
    assert fc["horizon_days"].tolist() == [7, 15, 30]
    last = pd.Timestamp(max(daily["date"]))
    assert pd.to_datetime(fc["target_date"]).tolist() == [
        last + pd.Timedelta(days=h) for h in (7, 15, 30)
    ]
    assert (fc.lo95 <= fc.lo80).all() and (fc.lo80 <= fc.pred).all()
    assert (fc.pred <= fc.hi80).all() and (fc.hi80 <= fc.hi95).all()
    assert (fc.lo80 < fc.hi80).all()
    typical = daily["fuel_l"].median()
    assert fc["pred"].between(0.7 * typical, 1.3 * typical).all()


def test_short_history_still_forecasts(tmp_path, daily):
    src = tmp_path / "short.csv"
    daily.tail(get_settings().ml.demand.min_history_days).to_csv(src, index=False)
    out = tmp_path / "fc.csv"
    assert (
        main(["forecast-demand", "--input", str(src), "--horizons", "30", "--out", str(out)]) == 0
    )
    fc = _read(out)
    assert len(fc) == 1 and (fc.lo95 <= fc.pred).all() and (fc.pred <= fc.hi95).all()


def test_intervals_cover_on_walk_forward(daily):
    """Intervals calibrated only on earlier forecasts cover about their nominal share."""
    from fuelopt.ml.demand import fit_demand

    rng = np.random.default_rng(5)
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    series = pd.DataFrame(
        {"date": days, "fuel_l": 70000 * rng.normal(1, 0.05, len(days)), "planned_t": 137000.0}
    )
    cfg = get_settings().ml.demand.model_copy(update={"num_boost_round": 30})
    model = fit_demand(series, cfg, [7], seed=1)
    m = model.summary[7]
    assert m["n_interval"] >= 100
    assert 70 <= m["coverage80_pct"] <= 90
    assert 88 <= m["coverage95_pct"] <= 100
    assert m["width95"] > m["width80"] > 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.drop(columns=["fuel_l"]), "missing column fuel_l"),
        (
            lambda d: d.assign(date=d["date"].astype(str).where(d.index != 2, "soon")),
            "row 3, field date",
        ),
        (lambda d: d.assign(fuel_l=d["fuel_l"].where(d.index != 4, -5.0)), "row 5, field fuel_l"),
        (lambda d: pd.concat([d, d.tail(1)]), "duplicate day"),
        (lambda d: d.head(5), "at least"),
    ],
)
def test_bad_series_exits_2(tmp_path, daily, capsys, mutate, message):
    src = tmp_path / "bad.csv"
    mutate(daily.copy()).to_csv(src, index=False)
    code = main(["forecast-demand", "--input", str(src), "--out", str(tmp_path / "f.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "f.csv").exists()


def test_bad_horizons_exit_2(tmp_path, daily, capsys):
    src = tmp_path / "d.csv"
    daily.to_csv(src, index=False)
    args = ["forecast-demand", "--input", str(src), "--out", str(tmp_path / "f.csv")]
    assert main([*args, "--horizons", "7,soon"]) == 2
    assert main([*args, "--horizons", "0"]) == 2
    assert "--horizons" in capsys.readouterr().err
