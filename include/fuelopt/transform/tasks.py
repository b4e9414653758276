"""What the transform DAG's own tasks do (the dbt model tasks are rendered by Cosmos)."""

from __future__ import annotations

import logging
from pathlib import Path

from fuelopt.config import get_settings

log = logging.getLogger(__name__)


def quality_gate(gate: str, run_id: str | None = None) -> dict[str, object]:
    """Run a GX gate on the warehouse; raises GateFailed (task fails) when it does not pass."""
    from fuelopt.quality.gates import run_gate

    report = run_gate(gate, run_id=run_id)
    print(report.summary())
    print(f"GX data docs: {report.data_docs_index}")
    return {"gate": gate, "expectations": len(report.results), "docs": str(report.data_docs_index)}


def docs_dir() -> Path:
    """Where ``dbt docs generate`` writes (``quality.dbt.docs_dir``, in the artifacts folder)."""
    settings = get_settings()
    return settings.paths.artifact(settings.quality.dbt.docs_dir)


def generate_docs() -> str:
    """``dbt docs generate`` into :func:`docs_dir`; prints and returns the index path."""
    from fuelopt.transform.dbt_run import run_dbt

    run_dbt(["docs", "generate"], target_path=docs_dir())
    index = docs_dir() / "index.html"
    print(f"dbt docs: {index}")
    return str(index)
