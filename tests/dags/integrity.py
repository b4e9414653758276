"""DAG integrity rules, as functions so a throwaway DAG folder can prove they catch violations."""

from __future__ import annotations

import ast
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

from fuelopt.config import get_settings

REQUIRED_DAG_KEYWORDS = ("schedule", "catchup", "max_active_runs", "doc_md", "tags")


def load_dagbag(folder: Path) -> DagBag:
    return DagBag(dag_folder=str(folder), safe_mode=False)


def keyword_problems(path: Path) -> list[str]:
    """Keywords every ``@dag(...)`` call must spell out (defaults are not choices)."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name not in {"dag", "DAG"}:
            continue
        given = {k.arg for k in node.keywords}
        problems += [
            f"{path.name}: @dag without {k}=" for k in REQUIRED_DAG_KEYWORDS if k not in given
        ]
    return problems


def dag_problems(dagbag: DagBag, runbooks: Path) -> list[str]:
    """Everything wrong with the DAGs of a DagBag, one line each."""
    approved = set(get_settings().alerts.approved_tags)
    problems = [
        f"import error in {Path(f).name}: {e.splitlines()[-1]}"
        for f, e in dagbag.import_errors.items()
    ]
    for dag_id, dag in sorted(dagbag.dags.items()):
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        elif not set(dag.tags) <= approved:
            problems.append(f"{dag_id}: tags not approved: {sorted(set(dag.tags) - approved)}")
        if not (dag.doc_md or "").strip():
            problems.append(f"{dag_id}: no doc_md")
        if not (runbooks / f"{dag_id}.md").is_file():
            problems.append(f"{dag_id}: no runbook {runbooks.name}/{dag_id}.md")
        for task in dag.tasks:
            where = f"{dag_id}.{task.task_id}"
            if not task.owner or task.owner == "airflow":
                problems.append(f"{where}: no owner")
            if (task.retries or 0) < 2:
                problems.append(f"{where}: retries {task.retries} < 2")
            if not task.on_failure_callback:
                problems.append(f"{where}: no on_failure_callback")
        problems += keyword_problems(Path(dag.fileloc))
    return problems
