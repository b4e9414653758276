"""Is the dbt manifest the transform DAG renders from (written by `dbt parse` at set-up) still the
project's? Each model file must be in it, with the checksum dbt gives its contents, and nothing
else may be."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path


class StaleManifest(RuntimeError):
    """The manifest does not match the dbt models: run `dbt parse` (include/scripts/setup.sh)."""


def _checksum(path: Path) -> str:
    """dbt's checksum of a model file: sha256 of its stripped text."""
    return hashlib.sha256(path.read_text(encoding="utf-8").strip().encode("utf-8")).hexdigest()


def stale_models(manifest_path: Path, project_dir: Path) -> list[str]:
    """Model files added, removed or changed since the manifest was written, sorted; [] if none."""
    if not manifest_path.exists():
        return [f"{manifest_path}: missing"]
    parsed = _parsed_models(manifest_path, manifest_path.stat().st_mtime_ns, project_dir)
    files = {
        p.relative_to(project_dir).as_posix(): _checksum(p)
        for p in sorted((project_dir / "models").rglob("*.sql"))
    }
    out = [f"{path}: not in the manifest" for path in files.keys() - parsed.keys()]
    out += [f"{path}: in the manifest, not in the project" for path in parsed.keys() - files.keys()]
    out += [
        f"{path}: changed since the manifest was written"
        for path in files.keys() & parsed.keys()
        if files[path] != parsed[path]
    ]
    return sorted(out)


@lru_cache(maxsize=4)
def _parsed_models(manifest_path: Path, mtime_ns: int, project_dir: Path) -> dict[str, str]:
    """Model file -> checksum in the manifest (read once per version of the file)."""
    nodes = json.loads(manifest_path.read_text(encoding="utf-8"))["nodes"].values()
    name = _project_name(project_dir)
    return {
        n["original_file_path"]: n["checksum"]["checksum"]
        for n in nodes
        if n["resource_type"] == "model" and n.get("package_name") == name
    }


def _project_name(project_dir: Path) -> str:
    import yaml

    return yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))["name"]


def check_manifest(manifest_path: Path, project_dir: Path) -> None:
    """Raise StaleManifest naming every model that differs (the DAG would render old models)."""
    stale = stale_models(manifest_path, project_dir)
    if stale:
        raise StaleManifest(
            f"dbt manifest {manifest_path} is stale ({'; '.join(stale)}): "
            "run `dbt parse` (include/scripts/setup.sh does)"
        )
