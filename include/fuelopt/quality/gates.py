"""Run a Great Expectations gate between warehouse layers, store its results, fail loudly.

A gate validates its suites (fuelopt.quality.suites) against the warehouse tables with an
ephemeral GX context, writes one row per expectation to ``ops.dq_results``, builds the GX data
docs into ``quality.data_docs_dir`` and raises :class:`GateFailed` with a summary of which
expectations failed and by how much. Nothing here runs at import (GX is imported lazily).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fuelopt.config import get_settings
from fuelopt.quality.suites import GATES, SUITES, Facts, SuiteSpec, expectations

log = logging.getLogger(__name__)
DOCS_SITE = "fuelopt_gates"


class GateFailed(RuntimeError):
    """Data outside a gate's expectations; the message says which failed and by how much."""


@dataclass(frozen=True)
class CheckResult:
    """One expectation's outcome."""

    suite: str
    table: str
    expectation: str
    column: str | None
    success: bool
    observed: str
    details: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """``expectation(column): observed vs allowed`` in one line."""
        target = f"({self.column})" if self.column else ""
        return f"{self.suite}: {self.expectation}{target} {self.observed}"


@dataclass(frozen=True)
class GateReport:
    """The outcome of one gate run."""

    gate: str
    run_id: str
    results: list[CheckResult]
    data_docs_index: Path | None

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success]

    def summary(self) -> str:
        """One line for logs and alerts."""
        total, failed = len(self.results), self.failures
        if not failed:
            return f"gate {self.gate!r} passed: {total} expectations met"
        listed = "; ".join(r.describe() for r in failed)
        return f"gate {self.gate!r} failed {len(failed)} of {total} expectations: {listed}"


def observed_text(result: dict[str, Any], kwargs: dict[str, Any]) -> str:
    """How far off a result is: unexpected share vs allowed, or observed value vs bounds."""
    if "unexpected_percent" in result and result.get("unexpected_percent") is not None:
        allowed = (1.0 - float(kwargs.get("mostly", 1.0))) * 100.0
        return (
            f"{result['unexpected_percent']:.2f} % unexpected "
            f"({result.get('unexpected_count', '?')} of {result.get('element_count', '?')} rows),"
            f" allowed {allowed:.2f} %"
        )
    observed = result.get("observed_value")
    bounds = []
    if kwargs.get("value") is not None:
        bounds.append(f"expected {kwargs['value']}")
    if kwargs.get("min_value") is not None:
        bounds.append(f"min {kwargs['min_value']}")
    if kwargs.get("max_value") is not None:
        bounds.append(f"max {kwargs['max_value']}")
    return f"observed {observed}" + (f" ({', '.join(bounds)})" if bounds else "")


def _sqlalchemy_uri(uri: str) -> str:
    return "postgresql+psycopg://" + uri.split("://", 1)[1]


def measure_facts(uri: str, spec: SuiteSpec, now: datetime) -> Facts:
    """Audit row counts and key counts the suite's expectations are compared with."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, relation

    audit_rows = raw_keys = cleansed_rows = None
    with connect(uri) as conn:
        if spec.audit_table:
            row = conn.execute(
                sql.SQL(
                    "SELECT sum(rows_loaded) - coalesce(sum(rows_replaced), 0), count(*)"
                    " FROM {} WHERE table_name = %s"
                ).format(relation("ops", "load_audit")),
                (spec.audit_table,),
            ).fetchone()
            audit_rows = int(row[0]) if row and row[1] else None
        if spec.raw_key:
            raw_keys = conn.execute(
                sql.SQL("SELECT count(DISTINCT {}) FROM {}").format(
                    sql.Identifier(spec.raw_key), relation("raw", "haul_cycles")
                )
            ).fetchone()[0]
        if spec.name == "features_cycle_features":
            cleansed_rows = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(
                    relation("cleansed", "stg_operations__haul_cycles")
                )
            ).fetchone()[0]
    return Facts(
        now=now, audit_rows=audit_rows, raw_distinct_keys=raw_keys, cleansed_rows=cleansed_rows
    )


def store_results(uri: str, run_id: str, results: list[CheckResult]) -> None:
    """Append the results to ops.dq_results (one row per expectation)."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, jsonb_text, relation

    with connect(uri) as conn, conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "INSERT INTO {} (run_id, suite, table_name, expectation, column_name,"
                " success, observed, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(relation("ops", "dq_results")),
            [
                (
                    run_id,
                    r.suite,
                    r.table,
                    r.expectation,
                    r.column,
                    r.success,
                    r.observed,
                    jsonb_text(r.details),
                )
                for r in results
            ],
        )


def data_docs_dir() -> Path:
    """Where the GX data docs site is built (``quality.data_docs_dir``, in the artifacts folder)."""
    settings = get_settings()
    return settings.paths.artifact(settings.quality.data_docs_dir)


def run_gate(
    gate: str, uri: str | None = None, run_id: str | None = None, raise_on_failure: bool = True
) -> GateReport:
    """Validate every suite of ``gate``; store results, build data docs, raise on failure."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from fuelopt.warehouse.db import warehouse_uri

    if gate not in GATES:
        raise KeyError(f"unknown gate {gate!r}; known: {', '.join(GATES)}")
    uri = uri or warehouse_uri()
    run_id = run_id or f"{gate}-{uuid.uuid4().hex[:12]}"
    cfg = get_settings()
    docs = data_docs_dir()
    docs.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no bars in task logs
    ctx.add_data_docs_site(
        DOCS_SITE,
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    source = ctx.data_sources.add_postgres(name="warehouse", connection_string=_sqlalchemy_uri(uri))
    now = datetime.now(UTC)
    results: list[CheckResult] = []
    definitions = []
    for name in GATES[gate]:
        spec = SUITES[name]
        schema = getattr(cfg.warehouse.schemas, spec.schema_key)
        asset = source.add_table_asset(name=name, table_name=spec.table, schema_name=schema)
        batch = asset.add_batch_definition_whole_table(f"{name}_all")
        suite = ctx.suites.add(gx.ExpectationSuite(name=name))
        for expectation in expectations(spec, measure_facts(uri, spec, now), cfg.quality):
            suite.add_expectation(expectation)
        definitions.append(
            ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )
        )
    checkpoint = ctx.checkpoints.add(
        gx.Checkpoint(
            name=f"gate_{gate}",
            validation_definitions=definitions,
            actions=[UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
            result_format="SUMMARY",
        )
    )
    outcome = checkpoint.run()
    for suite_result in outcome.run_results.values():
        suite_name = suite_result.suite_name
        table = f"{getattr(cfg.warehouse.schemas, SUITES[suite_name].schema_key)}."
        table += SUITES[suite_name].table
        for r in suite_result.results:
            conf = r.expectation_config
            kwargs = {k: v for k, v in conf.kwargs.items() if k != "batch_id"}
            raised = bool(r.exception_info and r.exception_info.get("raised_exception"))
            observed = observed_text(r.result or {}, kwargs)
            if raised:
                observed = f"error: {r.exception_info.get('exception_message')}"
            results.append(
                CheckResult(
                    suite=suite_name,
                    table=table,
                    expectation=conf.type,
                    column=kwargs.get("column"),
                    success=bool(r.success) and not raised,
                    observed=observed,
                    details={"kwargs": kwargs, "result": r.result},
                )
            )
    store_results(uri, run_id, results)
    index = docs / "index.html"
    report = GateReport(gate, run_id, results, index if index.exists() else None)
    log.info("%s; data docs: %s", report.summary(), report.data_docs_index)
    if raise_on_failure and not report.success:
        raise GateFailed(report.summary())
    return report
