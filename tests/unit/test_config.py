import re
from pathlib import Path

import pytest
import yaml

from fuelopt.config import DEFAULT_CONFIG, ConfigError, load_settings


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    mutate(data)
    path = tmp_path / "fuelopt.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_config_is_valid():
    settings = load_settings(environ={})
    assert settings.alerts.retries >= 2
    assert settings.schedules.monitor_drift == "0 */6 * * *"


def test_missing_key_names_key_and_file(tmp_path):
    path = _write(tmp_path, lambda d: d["alerts"].pop("owner"))
    with pytest.raises(ConfigError, match=r"fuelopt\.yaml: key 'alerts\.owner': Field required"):
        load_settings(path, environ={})


def test_unknown_key_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["warehouse"]["schemas"].update(stagin="x"))
    with pytest.raises(ConfigError, match=r"key 'warehouse\.schemas\.stagin'"):
        load_settings(path, environ={})


def test_wrong_type_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["alerts"].update(retries="many"))
    with pytest.raises(ConfigError, match=r"key 'alerts\.retries'"):
        load_settings(path, environ={})


def test_too_few_retries_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["alerts"].update(retries=1))
    with pytest.raises(ConfigError, match=r"key 'alerts\.retries'"):
        load_settings(path, environ={})


def test_environment_overrides_nested_key():
    env = {"FUELOPT__WAREHOUSE__SCHEMAS__MARTS": "marts_dev", "FUELOPT__ALERTS__RETRIES": "5"}
    settings = load_settings(environ=env)
    assert settings.warehouse.schemas.marts == "marts_dev"
    assert settings.alerts.retries == 5


@pytest.mark.parametrize(
    ("variable", "key"),
    [
        ("FUELOPT__MONITOR__WINDOW__TIME_COLUMN", "monitor.window.time_column"),
        ("FUELOPT__WAREHOUSE__SCHEMAS__MARTS", "warehouse.schemas.marts"),
        ("FUELOPT__ML__CYCLE__TIME_COLUMN", "ml.cycle.time_column"),
        ("FUELOPT__SOURCES__POSTGREST__TABLE", "sources.postgrest.table"),
    ],
)
def test_sql_names_from_config_cannot_carry_sql(variable, key):
    with pytest.raises(ConfigError, match=rf"key '{re.escape(key)}'"):
        load_settings(environ={variable: "load_start) FROM x; SELECT pg_sleep(3) --"})


def test_override_of_unknown_section_names_variable():
    with pytest.raises(ConfigError, match="FUELOPT__NOPE__X"):
        load_settings(environ={"FUELOPT__NOPE__X": "1"})


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.yaml", environ={})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["physics"]["rolling_resistance"].update(poor=-0.04),
            "physics.rolling_resistance.poor",
        ),
        (lambda d: d["physics"]["rolling_resistance"].pop("poor"), "needs exactly the keys"),
        (
            lambda d: d["physics"].update(default_road_condition="muddy"),
            "physics.default_road_condition",
        ),
    ],
)
def test_haul_physics_constants_are_validated(tmp_path, mutate, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(_write(tmp_path, mutate), environ={})


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"engine_hours": 1000}, "engine_hours is not one of numeric_features"),
        ({"truck_engine_hours": 0}, "the step of truck_engine_hours must be positive"),
    ],
)
def test_cycle_feature_steps_are_validated(tmp_path, steps, message):
    def mutate(d):
        d["ml"]["cycle"]["feature_steps"] = steps

    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(_write(tmp_path, mutate), environ={})
