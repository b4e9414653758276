"""dbt layering, read from the manifest setup writes: sources are read only by staging models
(and ops.rejects, which applies the staging rules), one model per source table, and marts and
features select from ``ref`` only."""

from __future__ import annotations

import json
from collections import defaultdict

from fuelopt.transform.cosmos_config import manifest_path


def _models() -> dict[str, dict]:
    nodes = json.loads(manifest_path().read_text())["nodes"]
    return {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}


def test_only_staging_and_the_quarantine_read_sources():
    readers = {
        name: [s for s in node["depends_on"]["nodes"] if s.startswith("source.")]
        for name, node in _models().items()
    }
    outside = {
        n: s for n, s in readers.items() if s and not n.startswith("stg_") and n != "rejects"
    }
    assert outside == {}
    assert all(
        "staging" in node["fqn"] for name, node in _models().items() if name.startswith("stg_")
    )


def test_each_staging_model_reads_one_source_table_named_after_it():
    tables = defaultdict(list)
    for name, node in _models().items():
        if name.startswith("stg_"):
            sources = [s for s in node["depends_on"]["nodes"] if s.startswith("source.")]
            assert len(sources) == 1, (name, sources)
            _, _, source, table = sources[0].split(".")
            assert name == f"stg_{source}__{table}"
            tables[sources[0]].append(name)
    assert all(len(models) == 1 for models in tables.values()), tables
