"""The dbt project's parse-time var defaults are the configured values; every model documented."""

from __future__ import annotations

from pathlib import Path

import yaml

from fuelopt.transform.dbt_run import dbt_vars, project_dir


def test_dbt_project_var_defaults_match_the_configuration():
    project = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())
    assert {k: float(v) for k, v in project["vars"].items()} == {
        k: float(v) for k, v in dbt_vars().items()
    }


def test_every_model_has_a_description_and_every_mart_column_too():
    documented: dict[str, dict] = {}
    for path in Path(project_dir() / "models").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            documented[model["name"]] = model
    sql_models = {p.stem for p in Path(project_dir() / "models").rglob("*.sql")}
    assert sql_models <= set(documented), sql_models - set(documented)
    for name, model in documented.items():
        assert model.get("description"), name
        if name.startswith(("fct_", "dim_")):
            assert model.get("columns"), name
            for column in model["columns"]:
                assert column.get("description"), (name, column["name"])
