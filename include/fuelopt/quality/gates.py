"""Run a Great Expectations gate between warehouse layers, store its results, fail loudly.

A gate validates its suites (fuelopt.quality.suites) against the warehouse with an ephemeral GX
context, writes one row per expectation to ``ops.dq_results``, builds the GX data docs into
``quality.data_docs_dir`` and raises :class:`GateFailed` with a summary of which expectations
failed and by how much. Raw suites validate load batches, not tables: every batch of
``ops.load_audit`` not yet in ``ops.gated_batches`` is validated on its own rows (a re-run or a
missed run still gates it), and recorded there once it passes, so a bad load fails its own gate
and the cost follows the new batches, not the history. Nothing here runs at import (GX is
imported lazily).
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
    batch_id: str | None = None  # the raw load batch validated (None: the whole table)

    def describe(self) -> str:
        """``suite [batch b]: expectation(column) observed vs allowed`` in one line."""
        target = f"({self.column})" if self.column else ""
        scope = f" batch {self.batch_id}" if self.batch_id else ""
        return f"{self.suite}{scope}: {self.expectation}{target} {self.observed}"


@dataclass(frozen=True)
class PendingBatch:
    """A raw load batch its suite has not passed yet."""

    batch_id: str
    rows_loaded: int
    replaced_later: bool  # a later load of the table replaced rows (maybe some of this batch's:
    # an upsert replaces by key, whatever the interval), so the batch keeps at most rows_loaded
    newest: bool  # the table's newest load


@dataclass(frozen=True)
class GateReport:
    """The outcome of one gate run."""

    gate: str
    run_id: str
    results: list[CheckResult]
    data_docs_index: Path | None
    gated_batches: tuple[str, ...] = ()  # raw load batches this run passed and recorded

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
            batches = f" on {len(self.gated_batches)} new batches" if self.gated_batches else ""
            return f"gate {self.gate!r} passed: {total} expectations met{batches}"
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


def pending_batches(uri: str, spec: SuiteSpec) -> list[PendingBatch]:
    """The load batches of ``spec.audit_table`` that ``spec`` has not passed, oldest first."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, relation

    audit, gated = relation("ops", "load_audit"), relation("ops", "gated_batches")
    query = sql.SQL(
        """SELECT a.batch_id, a.rows_loaded,
                  EXISTS (SELECT 1 FROM {audit} l
                          WHERE l.table_name = a.table_name AND l.loaded_at > a.loaded_at
                            AND l.rows_replaced > 0),
                  a.loaded_at = (SELECT max(n.loaded_at) FROM {audit} n
                                 WHERE n.table_name = a.table_name)
           FROM {audit} a
           WHERE a.table_name = %s
             AND NOT EXISTS (SELECT 1 FROM {gated} g WHERE g.batch_id = a.batch_id
                                                         AND g.suite = %s)
           ORDER BY a.loaded_at, a.batch_id"""
    ).format(audit=audit, gated=gated)
    with connect(uri) as conn:
        rows = conn.execute(query, (spec.audit_table, spec.name)).fetchall()
    return [PendingBatch(r[0], int(r[1]), bool(r[2]), bool(r[3])) for r in rows]


def record_gated(uri: str, run_id: str, passed: list[tuple[SuiteSpec, PendingBatch]]) -> None:
    """Record batches that passed their suite in ops.gated_batches (never validated again)."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, relation

    with connect(uri) as conn, conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "INSERT INTO {} (batch_id, suite, table_name, rows_validated, run_id)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (batch_id, suite) DO NOTHING"
            ).format(relation("ops", "gated_batches")),
            [(b.batch_id, s.name, s.table, b.rows_loaded, run_id) for s, b in passed],
        )


def measure_facts(uri: str, spec: SuiteSpec, now: datetime) -> Facts:
    """Key counts the suite's expectations are compared with (whole-table suites)."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, relation

    raw_keys = cleansed_rows = None
    with connect(uri) as conn:
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
    return Facts(now=now, raw_distinct_keys=raw_keys, cleansed_rows=cleansed_rows)


def store_results(uri: str, run_id: str, results: list[CheckResult]) -> None:
    """Append the results to ops.dq_results (one row per expectation)."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, jsonb_text, relation

    with connect(uri) as conn, conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "INSERT INTO {} (run_id, suite, table_name, expectation, column_name,"
                " success, observed, details, batch_id)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
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
                    r.batch_id,
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
    """Validate every suite of ``gate`` (raw: each new load batch); store results, build data
    docs, record the raw batches that passed, raise on failure."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from psycopg import sql

    from fuelopt.warehouse.db import relation, warehouse_uri

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
    validated: dict[str, tuple[SuiteSpec, PendingBatch | None]] = {}  # GX suite name -> what
    empty: list[tuple[SuiteSpec, PendingBatch]] = []  # batches that loaded no rows

    def add_validation(key: str, spec: SuiteSpec, asset: Any, facts: Facts) -> None:
        suite = ctx.suites.add(gx.ExpectationSuite(name=key))
        for expectation in expectations(spec, facts, cfg.quality):
            suite.add_expectation(expectation)
        batch = asset.add_batch_definition_whole_table(f"{key}_all")
        definitions.append(
            ctx.validation_definitions.add(
                gx.ValidationDefinition(name=key, data=batch, suite=suite)
            )
        )

    for name in GATES[gate]:
        spec = SUITES[name]
        schema = getattr(cfg.warehouse.schemas, spec.schema_key)
        if not spec.audit_table:
            asset = source.add_table_asset(name=name, table_name=spec.table, schema_name=schema)
            add_validation(name, spec, asset, measure_facts(uri, spec, now))
            validated[name] = (spec, None)
            continue
        for pending in pending_batches(uri, spec):
            if pending.rows_loaded == 0:
                empty.append((spec, pending))
                continue
            key = f"{name}@{pending.batch_id}"
            query = sql.SQL("SELECT * FROM {} WHERE _batch_id = {}").format(
                relation(spec.schema_key, spec.table), sql.Literal(pending.batch_id)
            )
            asset = source.add_query_asset(name=key, query=query.as_string())
            facts = Facts(
                now=now,
                audit_rows=pending.rows_loaded,
                audit_exact=not pending.replaced_later,
                check_freshness=pending.newest,
            )
            add_validation(key, spec, asset, facts)
            validated[key] = (spec, pending)
    if definitions:
        checkpoint = ctx.checkpoints.add(
            gx.Checkpoint(
                name=f"gate_{gate}",
                validation_definitions=definitions,
                actions=[UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
                result_format="SUMMARY",
            )
        )
        suite_results = checkpoint.run().run_results.values()
    else:
        suite_results = []
    passed = list(empty)
    for suite_result in suite_results:
        spec, pending = validated[suite_result.suite_name]
        table = f"{getattr(cfg.warehouse.schemas, spec.schema_key)}.{spec.table}"
        batch_id = pending.batch_id if pending else None
        for r in suite_result.results:
            conf = r.expectation_config
            kwargs = {k: v for k, v in conf.kwargs.items() if k != "batch_id"}
            raised = bool(r.exception_info and r.exception_info.get("raised_exception"))
            observed = observed_text(r.result or {}, kwargs)
            if raised:
                observed = f"error: {r.exception_info.get('exception_message')}"
            results.append(
                CheckResult(
                    suite=spec.name,
                    table=table,
                    expectation=conf.type,
                    column=kwargs.get("column"),
                    success=bool(r.success) and not raised,
                    observed=observed,
                    details={"kwargs": kwargs, "result": r.result},
                    batch_id=batch_id,
                )
            )
        batch_ok = all(
            c.success for c in results if c.suite == spec.name and c.batch_id == batch_id
        )
        if pending and batch_ok:
            passed.append((spec, pending))
    store_results(uri, run_id, results)
    record_gated(uri, run_id, passed)
    index = docs / "index.html"
    gated = tuple(b.batch_id for _, b in passed)
    report = GateReport(gate, run_id, results, index if index.exists() else None, gated)
    log.info("%s; data docs: %s", report.summary(), report.data_docs_index)
    if raise_on_failure and not report.success:
        raise GateFailed(report.summary())
    return report
