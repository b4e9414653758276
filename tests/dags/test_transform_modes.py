"""transform_warehouse renders in both Cosmos execution modes (transform.cosmos_execution_mode):
the same dbt models, each visible as its own task with retries, and the mode is validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fuelopt.config import ConfigError, get_settings, load_settings
from tests.dags.integrity import dag_problems, load_dagbag

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "transform_warehouse.py"
GROUPS = ("dbt_cleansed", "dbt_features", "dbt_marts")


def _render(mode: str, monkeypatch, folder: Path):
    monkeypatch.setenv("FUELOPT__TRANSFORM__COSMOS_EXECUTION_MODE", mode)
    get_settings.cache_clear()
    folder.mkdir()
    (folder / DAG_FILE.name).symlink_to(DAG_FILE)
    bag = load_dagbag(folder)
    get_settings.cache_clear()
    assert bag.import_errors == {}
    return bag


def _manifest_models() -> set[str]:
    path = Path(get_settings().quality.dbt.manifest_path)
    nodes = json.loads((path if path.is_absolute() else ROOT / path).read_text())["nodes"]
    return {n["name"] for n in nodes.values() if n["resource_type"] == "model"}


def _model(task_id: str, *suffixes: str) -> str:
    """The model of a task id: its group prefix and its suffix (`.run` inside a model's own
    group when it has tests, `_run` alone) removed."""
    name = task_id.split(".", 1)[1]
    for suffix in suffixes:
        name = name.removesuffix(suffix)
    return name


@pytest.fixture(scope="module")
def bags(airflow_home, tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        return {
            mode: _render(mode, monkeypatch, tmp_path_factory.mktemp(mode) / "dags")
            for mode in ("local", "watcher")
        }


def test_local_builds_each_model_in_its_own_task(bags):
    dag = bags["local"].dags["transform_warehouse"]
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith(GROUPS)]
    assert {type(t).__name__ for t in dbt_tasks} == {"DbtBuildLocalOperator"}
    assert {_model(t.task_id, "_model_build") for t in dbt_tasks} == _manifest_models()


def test_watcher_runs_one_build_per_layer_and_a_sensor_per_model(bags):
    dag = bags["watcher"].dags["transform_warehouse"]
    by_class: dict[str, list] = {}
    for task in dag.tasks:
        by_class.setdefault(type(task).__name__, []).append(task)
    producers = by_class["DbtProducerWatcherOperator"]
    assert sorted(t.task_id for t in producers) == [f"{g}.dbt_producer_watcher" for g in GROUPS]
    assert {t.indirect_selection for t in producers} == {"buildable"}
    models = {_model(t.task_id, ".run", "_run") for t in by_class["DbtRunWatcherOperator"]}
    assert models == _manifest_models()
    tested = {_model(t.task_id, ".test") for t in by_class["DbtTestWatcherOperator"]}
    assert tested and tested <= models
    sensors = by_class["DbtRunWatcherOperator"] + by_class["DbtTestWatcherOperator"]
    assert {t.poke_interval for t in sensors} == {get_settings().transform.watcher_poke_seconds}


@pytest.mark.parametrize("mode", ["local", "watcher"])
def test_both_modes_keep_the_gates_between_layers_and_the_dag_rules(bags, mode):
    bag = bags[mode]
    assert dag_problems(bag, ROOT / "docs" / "runbooks") == []
    dag = bag.dags["transform_warehouse"]
    for gate, group in (("gate_raw", "dbt_cleansed"), ("gate_cleansed", "dbt_features")):
        firsts = {t.task_id for t in dag.get_task(gate).downstream_list}
        assert firsts and all(t.startswith(f"{group}.") for t in firsts), (gate, firsts)
    assert dag.get_task("gate_features").upstream_task_ids <= {
        t.task_id for t in dag.tasks if t.task_id.startswith("dbt_features.")
    }


@pytest.mark.parametrize("mode", ["kubernetes", "LOCAL ", ""])
def test_unknown_execution_mode_is_rejected(mode):
    with pytest.raises(ConfigError, match=r"key 'transform\.cosmos_execution_mode'"):
        load_settings(environ={"FUELOPT__TRANSFORM__COSMOS_EXECUTION_MODE": mode})
