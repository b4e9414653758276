"""The manifest the transform DAG renders from must be the project's: a changed, added or removed
model without `dbt parse` is named, and the DAG refuses to render from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fuelopt.transform.cosmos_config import manifest_path
from fuelopt.transform.dbt_run import project_dir
from fuelopt.transform.manifest import StaleManifest, check_manifest, stale_models


def test_the_manifest_written_at_setup_matches_the_models():
    assert stale_models(manifest_path(), project_dir()) == []


@pytest.fixture
def project(tmp_path) -> tuple[Path, Path]:
    """A copy of the dbt project's models and its current manifest."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(project_dir() / "models", copy / "models")
    shutil.copy(project_dir() / "dbt_project.yml", copy)
    manifest = tmp_path / "manifest.json"
    shutil.copy(manifest_path(), manifest)
    return copy, manifest


def test_a_changed_added_or_removed_model_is_named(project):
    copy, manifest = project
    assert stale_models(manifest, copy) == []
    changed = copy / "models/marts/fct_fuel_daily.sql"
    changed.write_text(changed.read_text() + "\n-- a new column would go here\nwhere 1 = 1\n")
    (copy / "models/marts/fct_new.sql").write_text("select 1 as x\n")
    (copy / "models/features/daily_site_features.sql").unlink()
    assert stale_models(manifest, copy) == [
        "models/features/daily_site_features.sql: in the manifest, not in the project",
        "models/marts/fct_fuel_daily.sql: changed since the manifest was written",
        "models/marts/fct_new.sql: not in the manifest",
    ]
    with pytest.raises(StaleManifest, match=r"fct_fuel_daily\.sql.*run `dbt parse`"):
        check_manifest(manifest, copy)


def test_whitespace_around_a_model_is_not_a_change(project):
    copy, manifest = project
    model = copy / "models/marts/fct_fuel_daily.sql"
    model.write_text("\n\n" + model.read_text() + "\n\n")
    assert stale_models(manifest, copy) == []


def test_a_missing_manifest_is_named(project, tmp_path):
    copy, _ = project
    assert stale_models(tmp_path / "none.json", copy) == [f"{tmp_path / 'none.json'}: missing"]
