"""Champion/challenger gate, promotion and rollback on a real MLflow store in tmp_path."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from fuelopt.cli import main
from fuelopt.config import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _settings_from_the_restored_environment():
    """Tests here change settings through the environment: drop the cached copy afterwards."""
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def cycles(dbt_features) -> pd.DataFrame:
    return dbt_features("cycles").cycles


def _train(frame, rounds: int, monkeypatch) -> dict:
    from fuelopt.ml import training

    monkeypatch.setenv("FUELOPT__ML__CYCLE__NUM_BOOST_ROUND", str(rounds))
    get_settings.cache_clear()
    challenger = training.train_cycle_challenger(frame, {"test": "registry"})
    return training.gate_cycle(frame, challenger)


def test_gate_promotes_better_rejects_worse_and_rollback_restores(
    mlflow_store, cycles, monkeypatch
):
    import mlflow

    from fuelopt.ml import registry

    monkeypatch.setenv("FUELOPT__ML__CYCLE__TUNING__ENABLED", "false")  # the rounds decide
    name = get_settings().ml.cycle_model_name
    first = _train(cycles, 4, monkeypatch)  # weak, but the first champion
    assert first["promoted"] and first["previous"] is None
    better = _train(cycles, 60, monkeypatch)
    assert better["promoted"], better["reason"]
    assert better["challenger_mae"] < better["champion_mae"]
    assert registry.alias_version(name, "champion") == better["version"]
    worse = _train(cycles, 4, monkeypatch)
    assert not worse["promoted"]
    assert registry.alias_version(name, "champion") == better["version"]
    assert registry.alias_version(name, "challenger") == worse["version"]
    tags = registry.version_tags(name, worse["version"])
    assert (
        tags["validation_status"] == "rejected" and "not 1.0% better" in tags["validation_reason"]
    )

    # the artifacts went next to the store, never to ./mlruns
    assert (mlflow_store / "artifacts").is_dir() and not (mlflow_store / "mlruns").exists()
    run = mlflow.get_run(registry.version_tags(name, better["version"])["run_id"])
    assert run.data.metrics["cv_mae_l"] < run.data.metrics["physics_mae_l"]
    files = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"model_card.md", "walk_forward.csv", "feature_importance.png"} <= files
    ref = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="reference/cycle_features.parquet"
    )
    assert len(pd.read_parquet(ref)) == min(
        len(cycles), get_settings().ml.cycle.reference_sample_rows
    )

    sample = cycles.drop(columns=["fuel_l"]).head(20)
    v1 = mlflow.pyfunc.load_model(f"models:/{name}/{first['version']}").predict(sample)
    assert main(["model", "rollback", "--name", name, "--reason", "bad plans"]) == 0
    assert registry.alias_version(name, "champion") == first["version"]
    champion = mlflow.pyfunc.load_model(f"models:/{name}@champion").predict(sample)
    np.testing.assert_allclose(champion, v1)
    rolled = registry.version_tags(name, better["version"])
    assert (
        rolled["validation_status"] == "rolled_back" and rolled["validation_reason"] == "bad plans"
    )


def test_cli_promote_and_rollback(mlflow_store, cycles, monkeypatch, capsys):
    from fuelopt.ml import registry

    name = get_settings().ml.cycle_model_name
    a = _train(cycles, 4, monkeypatch)["version"]
    b = _train(cycles, 4, monkeypatch)["version"]  # same quality: rejected by the margin
    assert registry.alias_version(name, "champion") == a
    capsys.readouterr()
    assert main(["model", "promote", "--name", name, "--version", b]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"name": name, "champion": b, "previous": a, "moved": True}
    assert main(["model", "rollback", "--name", name]) == 0
    assert registry.alias_version(name, "champion") == a
    # a has no previous champion: nothing to roll back to (exit 2, one line)
    assert main(["model", "rollback", "--name", name]) == 2
    assert "no previous champion" in capsys.readouterr().err
    assert main(["model", "promote", "--name", name, "--version", "99"]) == 2
    assert main(["model", "promote", "--name", "nope"]) == 2


def test_sanity_failure_rejects_even_a_better_model(mlflow_store, cycles, monkeypatch):
    from fuelopt.ml import registry, training

    assert training.cycle_sanity(np.array([100.0, np.nan])) == ["1 NaN/inf predictions"]
    assert "outside" in training.cycle_sanity(np.array([100.0, 1e6]))[0]
    assert training.cycle_sanity(np.array([100.0, 150.0])) == []
    name = get_settings().ml.cycle_model_name
    v = _train(cycles, 4, monkeypatch)["version"]
    decision = training._decide(name, v, None, 1.0, 2.0, ["1 NaN/inf predictions"])
    assert not decision["promoted"]
    assert registry.version_tags(name, v)["validation_status"] == "rejected"


def test_gate_compares_on_folds_the_champion_never_saw(mlflow_store, cycles, monkeypatch):
    """Of the latest folds, only those after the champion's data window are compared (both
    models out of sample); here one of the two latest folds is older than that window's end."""
    from fuelopt.ml import registry

    name = get_settings().ml.cycle_model_name
    start = cycles["load_start"].min().normalize()
    old = cycles[cycles["load_start"] < start + pd.Timedelta(days=38)]
    assert _train(old, 40, monkeypatch)["promoted"]
    second = _train(cycles, 40, monkeypatch)
    # folds of the full frame: cutoffs at days 28, 35, 42; the champion saw up to day 38
    assert second["compared_folds"] == [(start + pd.Timedelta(days=42)).isoformat()], second
    assert registry.alias_version(name, "challenger") == second["version"]
    # the hyper-parameters were searched on the one fold before the gate's, and the study is in
    # the challenger's run
    run_id = registry.client().get_model_version(name, second["version"]).run_id
    run = registry.client().get_run(run_id)
    assert run.data.metrics["tuning_folds"] == 1.0
    assert run.data.metrics["tuning_trials"] == get_settings().ml.cycle.tuning.trials
    assert run.data.params["tuned"] == "True"
    artifacts = [a.path for a in registry.client().list_artifacts(run_id, "tuning")]
    assert artifacts == ["tuning/tuning_trials.csv"]


def test_demand_model_trains_and_gates_on_the_shortest_history_allowed(mlflow_store, dbt_features):
    """A history of just over ``ml.demand.min_history_days`` has no walk-forward fold: the
    challenger still registers and the gate decides (here: the first champion)."""
    from fuelopt.ml import training

    daily = dbt_features("demand").daily.tail(get_settings().ml.demand.min_history_days + 2)
    challenger = training.train_demand_challenger(daily, {"test": "short"})
    assert challenger["recent"] == {"origin": [], "horizon_days": [], "actual": [], "pred": []}
    decision = training.gate_demand(daily, challenger)
    assert decision["promoted"] and decision["previous"] is None


def test_an_unreachable_registry_is_an_error_not_no_champion(mlflow_store, monkeypatch):
    from fuelopt.errors import RegistryUnavailable
    from fuelopt.ml import registry
    from fuelopt.monitor.champion import find_champion
    from tests.support.stack import free_port

    name = get_settings().ml.cycle_model_name
    assert registry.alias_version(name, "champion") is None  # no such model: None
    assert find_champion(name) is None

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")  # nobody there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match=name):
        find_champion(name)
    with pytest.raises(RegistryUnavailable):
        registry.alias_version(name, "champion")
    assert time.monotonic() - started < 60


def test_a_challenger_below_the_model_card_targets_never_becomes_champion(
    mlflow_store, cycles, monkeypatch
):
    """Even with no champion to beat, a model that misses ``ml.promotion.targets`` is rejected
    with the target it missed; the same model passes once the target is one it meets."""
    from fuelopt.ml import registry

    name = get_settings().ml.cycle_model_name
    monkeypatch.setenv("FUELOPT__ML__PROMOTION__TARGETS__CYCLE__MIN_CV_R2", "0.9999")
    missed = _train(cycles, 40, monkeypatch)
    assert not missed["promoted"] and missed["previous"] is None
    assert missed["reason"].startswith("below target: CV R²"), missed["reason"]
    assert registry.alias_version(name, "champion") is None
    assert registry.version_tags(name, missed["version"])["validation_status"] == "rejected"
    monkeypatch.setenv("FUELOPT__ML__PROMOTION__TARGETS__CYCLE__MIN_CV_R2", "0.5")
    assert _train(cycles, 40, monkeypatch)["promoted"]


def test_demand_targets_judge_every_validated_horizon(monkeypatch):
    from fuelopt.ml.training import demand_shortfalls

    monkeypatch.setenv("FUELOPT__ML__PROMOTION__TARGETS__DEMAND__MAX_MAPE_PCT", "10")
    monkeypatch.setenv("FUELOPT__ML__PROMOTION__TARGETS__DEMAND__MIN_COVERAGE80_PCT", "60")
    get_settings.cache_clear()
    judged = {"forecasts_h7": 20, "interval_forecasts_h7": 12, "forecasts_h15": 14}
    judged["interval_forecasts_h15"] = 10
    metrics = {"mape_h7": 4.0, "coverage80_h7": 81.0, "mape_h15": 12.5, "coverage80_h15": 55.0}
    assert demand_shortfalls({**metrics, **judged}, [7, 15, 30]) == [
        "h15 MAPE 12.5 % > 10 %",
        "h15 80 % coverage 55 % < 60 %",
    ]  # h30 has no folds on this history: nothing to judge
    # coverage of too few forecasts with intervals (a short history) is not judged; MAPE is
    assert demand_shortfalls({**metrics, **judged, "interval_forecasts_h15": 3}, [7, 15]) == [
        "h15 MAPE 12.5 % > 10 %",
    ]
    assert (
        demand_shortfalls({**metrics, "forecasts_h15": 9, "interval_forecasts_h15": 9}, [15]) == []
    )
