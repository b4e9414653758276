"""MLflow tracking and registry: experiment set-up, model saving, aliases champion/challenger,
promotion and rollback. Aliases and version tags only, never the deprecated stages."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from fuelopt.config import get_settings
from fuelopt.errors import BadInput, RegistryUnavailable

PREVIOUS_CHAMPION_TAG = "previous_champion"
STATUS_TAG = "validation_status"
REASON_TAG = "validation_reason"
CHAMPION_SINCE_TAG = "champion_since"


def check_model_name(name: str) -> str:
    """``name`` if it matches ``ml.model_name_pattern`` in full, else BadInput naming --name
    (a name is then safe to quote in an MLflow filter string)."""
    pattern = get_settings().ml.model_name_pattern
    if not re.fullmatch(pattern, name):
        raise BadInput(f"--name: {name!r} is not a model name (ml.model_name_pattern {pattern})")
    return name


T = TypeVar("T")
NOT_FOUND = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` (local default set by include/scripts/env.sh). Calls to an http
    server get the deadlines of ``ml.tracking`` unless MLFLOW_HTTP_REQUEST_* are set."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise RuntimeError("MLFLOW_TRACKING_URI is not set (source include/scripts/env.sh)")
    tracking = get_settings().ml.tracking
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(tracking.http_timeout_seconds))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(tracking.http_max_retries))
    return uri


def registry_call(what: str, call: Callable[[], T]) -> T | None:
    """``call()``; None when MLflow says the thing does not exist. Any other failure (the
    tracking store down) is RegistryUnavailable naming ``what``, never "none"."""
    from mlflow.exceptions import MlflowException

    try:
        return call()
    except MlflowException as exc:
        if exc.error_code in NOT_FOUND:
            return None
        raise RegistryUnavailable(f"MLflow registry ({what}): {exc}") from exc
    except Exception as exc:  # requests / database errors below MLflow's client
        raise RegistryUnavailable(f"MLflow registry ({what}): {exc}") from exc


def alias_target(name: str, alias: str):
    """The model version ``name@alias`` points to; None when the model or the alias does not
    exist."""
    return registry_call(
        f"{name}@{alias}", lambda: client().get_model_version_by_alias(name, alias)
    )


def version_metrics(name: str, version: str) -> dict[str, float]:
    """The metrics of the run behind ``name`` version ``version``; {} when it was deleted."""

    def read() -> dict[str, float]:
        run_id = client().get_model_version(name, version).run_id
        return dict(client().get_run(run_id).data.metrics)

    return registry_call(f"{name} v{version}", read) or {}


def artifact_location(uri: str) -> str | None:
    """Artifacts folder next to a SQLite store (``<db dir>/<artifacts_subdir>``); None lets the
    server (http) or a file store decide."""
    if not uri.startswith("sqlite:"):
        return None
    db_path = Path(uri.split(":///", 1)[1].split("?", 1)[0]) if ":///" in uri else Path("mlflow.db")
    folder = db_path.resolve().parent / get_settings().ml.artifacts_subdir
    folder.mkdir(parents=True, exist_ok=True)
    return folder.as_uri()


def setup_experiment(name: str | None = None) -> str:
    """Point MLflow at the tracking store and return the experiment id (created with its
    artifact location beside the store, never ./mlruns)."""
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    name = name or get_settings().ml.experiment_name
    exp = mlflow.get_experiment_by_name(name)
    exp_id = (
        exp.experiment_id
        if exp is not None
        else mlflow.create_experiment(name, artifact_location=artifact_location(uri))
    )
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


def client():
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri())


def save_model_dir(
    code: Path,
    artifacts: dict[str, str],
    out_dir: Path,
    pip: list[str],
    code_paths: tuple[Path, ...] = (),
) -> None:
    """Save a models-from-code pyfunc to ``out_dir``, replacing an earlier MLflow model there;
    ``code_paths``: modules saved with it (importable by ``code`` at load)."""
    import mlflow

    out_dir = Path(out_dir)
    if out_dir.exists() and out_dir.is_file():
        raise BadInput(f"{out_dir}: is a file, not a model directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "MLmodel").exists():
        raise BadInput(f"{out_dir}: exists, is not empty and is not an MLflow model")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        target = staging / "model"
        mlflow.pyfunc.save_model(
            path=str(target),
            python_model=str(code),
            artifacts=artifacts,
            pip_requirements=pip,
            code_paths=[str(p) for p in code_paths] or None,
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        target.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def log_model(
    code: Path,
    artifacts: dict[str, str],
    registered_name: str,
    pip: list[str],
    code_paths: tuple[Path, ...] = (),
):
    """Log a models-from-code pyfunc (with the modules ``code_paths``) in the active run and
    register it; returns the version."""
    import mlflow

    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(code),
        artifacts=artifacts,
        pip_requirements=pip,
        code_paths=[str(p) for p in code_paths] or None,
        registered_model_name=registered_name,
    )
    return info.registered_model_version


def alias_version(name: str, alias: str) -> str | None:
    """The version an alias points to, or None when there is none (see :func:`alias_target`)."""
    version = alias_target(name, alias)
    return None if version is None else str(version.version)


def version_tags(name: str, version: str) -> dict[str, str]:
    return dict(client().get_model_version(name, str(version)).tags)


def tag_version(name: str, version: str, tags: dict[str, Any]) -> None:
    c = client()
    for key, value in tags.items():
        c.set_model_version_tag(name, str(version), key, str(value))


def mark_challenger(name: str, version: str, run_id: str, tags: dict[str, Any]) -> None:
    """Tag a new version as the challenger (with its run and ``tags``) and point the alias at it."""
    tag_version(name, version, {STATUS_TAG: "challenger", "run_id": run_id, **tags})
    client().set_registered_model_alias(name, get_settings().ml.promotion.challenger_alias, version)


def promote(name: str, version: str, reason: str) -> dict[str, Any]:
    """Point ``champion`` at ``version``; the version remembers the champion it replaced."""
    check_model_name(name)
    promo = get_settings().ml.promotion
    c = client()
    try:
        c.get_model_version(name, str(version))
    except Exception:
        raise BadInput(f"--name/--version: no model version {name} v{version}") from None
    previous = alias_version(name, promo.champion_alias)
    if previous == str(version):
        return {"name": name, "champion": str(version), "previous": previous, "moved": False}
    tags = {STATUS_TAG: "promoted", REASON_TAG: reason, CHAMPION_SINCE_TAG: _now()}
    if previous is not None:
        tags[PREVIOUS_CHAMPION_TAG] = previous
    tag_version(name, version, tags)
    c.set_registered_model_alias(name, promo.champion_alias, str(version))
    _point_previous(name, previous)
    return {"name": name, "champion": str(version), "previous": previous, "moved": True}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _point_previous(name: str, version: str | None) -> None:
    """Point the ``previous`` alias at ``version`` (the champion's predecessor, shadow-scored by
    monitoring), or remove it when the champion has none."""
    c, alias = client(), get_settings().ml.promotion.previous_alias
    if version is not None:
        c.set_registered_model_alias(name, alias, str(version))
    elif alias_version(name, alias) is not None:
        c.delete_registered_model_alias(name, alias)


def champion_since(name: str, version: str) -> datetime:
    """When ``version`` last became champion (tag ``champion_since``; a version promoted before
    that tag existed: when it was registered)."""
    mv = registry_call(f"{name} v{version}", lambda: client().get_model_version(name, version))
    if mv is None:
        raise RuntimeError(f"no model version {name} v{version}")
    stamp = mv.tags.get(CHAMPION_SINCE_TAG)
    if stamp:
        since = datetime.fromisoformat(stamp)
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    return datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC)


def latest_version(name: str) -> str:
    check_model_name(name)
    versions = client().search_model_versions(f"name = '{name}'")
    if not versions:
        raise BadInput(f"--name: no registered model called {name!r}")
    return str(max(int(v.version) for v in versions))


def rollback(
    name: str, reason: str, tags: dict[str, Any] | None = None, expected: str | None = None
) -> dict[str, Any]:
    """Move ``champion`` back to the champion before the current one, recording why (and
    ``tags``) on the version rolled back. ``expected``: the champion the caller judged; a
    champion that moved since is not rolled back (RuntimeError)."""
    check_model_name(name)
    promo = get_settings().ml.promotion
    current = alias_version(name, promo.champion_alias)
    if current is None:
        raise BadInput(f"--name: {name!r} has no {promo.champion_alias} to roll back")
    if expected is not None and current != str(expected):
        raise RuntimeError(f"{name}@{promo.champion_alias} moved from v{expected} to v{current}")
    previous = version_tags(name, current).get(PREVIOUS_CHAMPION_TAG)
    if not previous:
        raise BadInput(f"--name: {name} v{current} has no previous champion to roll back to")
    tag_version(
        name,
        current,
        {STATUS_TAG: "rolled_back", REASON_TAG: reason, "rolled_back_to": previous, **(tags or {})},
    )
    tag_version(
        name,
        previous,
        {"restored_from": current, REASON_TAG: f"rollback: {reason}", CHAMPION_SINCE_TAG: _now()},
    )
    client().set_registered_model_alias(name, promo.champion_alias, previous)
    _point_previous(name, version_tags(name, previous).get(PREVIOUS_CHAMPION_TAG) or None)
    return {"name": name, "champion": previous, "rolled_back_from": current, "reason": reason}


def load_alias(name: str, alias: str):
    """The pyfunc model behind ``models:/name@alias``, or None when the alias is not set."""
    import mlflow

    if alias_version(name, alias) is None:
        return None
    mlflow.set_tracking_uri(tracking_uri())
    return mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
