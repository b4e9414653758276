"""Optuna tuning of the cycle model: bounded, reproducible, never on the gate's folds."""

from __future__ import annotations

import pandas as pd
import pytest

from fuelopt.config import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cycles(dbt_features) -> pd.DataFrame:
    return dbt_features("cycles").cycles


@pytest.fixture
def small_study(monkeypatch):
    monkeypatch.setenv("FUELOPT__ML__CYCLE__TUNING__TRIALS", "4")
    get_settings.cache_clear()
    yield get_settings().ml
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_search_is_reproducible_bounded_and_leaves_the_gate_folds_out(cycles, small_study):
    from fuelopt.ml.tuning import tune_cycle_model
    from fuelopt.ml.walk_forward import time_folds

    cfg = small_study.cycle
    first = tune_cycle_model(cycles, cfg, small_study.seed)
    again = tune_cycle_model(cycles, cfg, small_study.seed)
    assert first is not None and first.params == again.params
    assert first.best_mae_l == pytest.approx(again.best_mae_l)
    all_folds = time_folds(cycles[cfg.time_column], cfg.walk_forward)
    assert first.folds == len(all_folds) - small_study.promotion.compare_folds >= 1
    assert len(first.trials) == 4 and not first.timed_out
    trial0 = first.trials.iloc[0]  # the configured parameters are always tried
    assert trial0["params_max_depth"] == cfg.xgb_params["max_depth"]
    assert trial0["params_num_boost_round"] == cfg.num_boost_round
    for name, space in cfg.tuning.space.items():
        assert space.low <= first.params[name] <= space.high, name
    assert first.best_mae_l <= trial0["value"]


def test_the_final_model_is_trained_with_the_chosen_parameters(cycles, small_study):
    from fuelopt.ml.cycle_model import train_cycle_model

    model = train_cycle_model(cycles, small_study.cycle, small_study.seed)
    assert model.tuning is not None
    assert model.cfg.num_boost_round == model.tuning.params["num_boost_round"]
    assert model.cfg.xgb_params["eta"] == model.tuning.params["eta"]
    assert model.booster.num_boosted_rounds() == model.tuning.params["num_boost_round"]


def test_no_search_without_a_fold_to_spare_or_when_switched_off(cycles, small_study, monkeypatch):
    from fuelopt.ml.tuning import tune_cycle_model

    cfg = small_study.cycle
    start = cycles[cfg.time_column].min()
    short = cycles[cycles[cfg.time_column] < start + pd.Timedelta(days=40)]  # two folds only
    assert tune_cycle_model(short, cfg, small_study.seed) is None
    off = cfg.model_copy(update={"tuning": cfg.tuning.model_copy(update={"enabled": False})})
    assert tune_cycle_model(cycles, off, small_study.seed) is None


def test_a_search_range_must_make_sense():
    from pydantic import ValidationError

    from fuelopt.ml.settings import TuningRange

    with pytest.raises(ValidationError, match="below high"):
        TuningRange(low=5, high=3)
    with pytest.raises(ValidationError, match="low > 0"):
        TuningRange(low=0, high=1, log=True)
