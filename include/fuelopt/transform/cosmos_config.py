"""astronomer-cosmos configuration of the transform DAG: project, profile, render and execution.

Rendering reads the manifest written at setup (``dbt parse``), never ``dbt ls``; dbt deps never
run at task time. The profile comes from the warehouse Airflow connection through a Cosmos
profile mapping that also accepts password-less (trust) connections, as on the local stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
    TestIndirectSelection,
)
from cosmos.profiles.postgres.user_pass import PostgresUserPasswordProfileMapping

from fuelopt.config import PROJECT_ROOT, get_settings

PROFILE_NAME = "fuelopt"  # dbt_project.yml `profile:`


class PostgresProfileMapping(PostgresUserPasswordProfileMapping):
    """Postgres connection -> dbt profile; the password is optional (trust/peer auth)."""

    required_fields: ClassVar[list[str]] = ["host", "user", "dbname"]

    @property
    def env_vars(self) -> dict[str, str]:
        return super().env_vars if self.conn.password else {}

    @property
    def profile(self) -> dict[str, Any]:
        profile = dict(super().profile)
        if not self.conn.password:
            profile["password"] = ""
        return profile


def manifest_path() -> Path:
    """The manifest DAG parsing renders from (``quality.dbt.manifest_path``)."""
    path = Path(get_settings().quality.dbt.manifest_path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def project_config() -> ProjectConfig:
    """The dbt project, rendered from the manifest; a manifest older than the models is refused
    (StaleManifest: the DAG shows an import error naming them) rather than rendered."""
    from fuelopt.transform.dbt_run import dbt_vars, project_dir
    from fuelopt.transform.manifest import check_manifest

    check_manifest(manifest_path(), project_dir())
    return ProjectConfig(
        dbt_project_path=project_dir(),
        manifest_path=manifest_path(),
        project_name=PROFILE_NAME,
        install_dbt_deps=False,
        dbt_vars={k: str(v) for k, v in dbt_vars().items()},
    )


def profile_config() -> ProfileConfig:
    """The dbt profile: from the Airflow connection on PostgreSQL, profiles.yml otherwise."""
    settings = get_settings()
    target = settings.quality.dbt.target
    if target == "postgres":
        mapping = PostgresProfileMapping(
            conn_id=settings.connections.warehouse,
            profile_args={
                "schema": settings.quality.dbt.cosmos_profile_schema,
                "threads": settings.quality.dbt.threads,
            },
        )
        return ProfileConfig(profile_name=PROFILE_NAME, target_name=target, profile_mapping=mapping)
    return ProfileConfig(
        profile_name=PROFILE_NAME,
        target_name=target,
        profiles_yml_filepath=settings.paths.resolve("dbt_profiles_dir") / "profiles.yml",
    )


def execution_mode() -> ExecutionMode:
    """The configured Cosmos execution mode (``transform.cosmos_execution_mode``)."""
    return ExecutionMode(get_settings().transform.cosmos_execution_mode)


def render_config(paths: list[str]) -> RenderConfig:
    """Render the models under ``paths`` (e.g. ``models/staging``). LOCAL: one task per model,
    which builds it and then runs its tests (``TestBehavior.BUILD``). WATCHER: a sensor per model
    and one per model's tests (``TestBehavior.AFTER_EACH``), fed by the layer's one `dbt build`."""
    watcher = execution_mode() == ExecutionMode.WATCHER
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=[f"path:{p}" for p in paths],
        test_behavior=TestBehavior.AFTER_EACH if watcher else TestBehavior.BUILD,
        emit_datasets=False,
        enable_mock_profile=False,
    )


def execution_config() -> ExecutionConfig:
    """dbt in-process; a model's tests run with it once all the models they read exist. WATCHER:
    the layer's `dbt build` (the producer task) selects tests the same way; a retry of the
    producer only restores what the build reported and skips, and a retried model or test sensor
    re-runs its model or tests alone (Cosmos >= 1.14.1)."""
    mode = execution_mode()
    watcher = mode == ExecutionMode.WATCHER
    return ExecutionConfig(
        execution_mode=mode,
        invocation_mode=InvocationMode.DBT_RUNNER,
        test_indirect_selection=TestIndirectSelection.BUILDABLE,
        setup_operator_args=(
            {"indirect_selection": TestIndirectSelection.BUILDABLE.value} if watcher else None
        ),
    )


def operator_args() -> dict[str, Any]:
    """Arguments of every model task: WATCHER sensors poll every ``watcher_poke_seconds``."""
    if execution_mode() != ExecutionMode.WATCHER:
        return {}
    return {"poke_interval": get_settings().transform.watcher_poke_seconds}


def task_group_kwargs(group_id: str, paths: list[str]) -> dict[str, Any]:
    """Keyword arguments of a ``cosmos.DbtTaskGroup`` for the models under ``paths``."""
    return {
        "group_id": group_id,
        "project_config": project_config(),
        "profile_config": profile_config(),
        "render_config": render_config(paths),
        "execution_config": execution_config(),
        "operator_args": operator_args(),
    }
