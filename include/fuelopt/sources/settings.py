"""Configuration of the sources package (section ``sources`` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fuelopt.settings_base import Section, SqlName


class RetrySettings(Section):
    """Retries of transient source failures: exponential backoff with full jitter (tenacity)."""

    attempts: int = Field(ge=1)
    initial_seconds: float = Field(gt=0)
    max_seconds: float = Field(gt=0)


class PostgrestSettings(Section):
    """Telemetry over PostgREST (connection id: ``connections.telemetry_api``)."""

    table: SqlName
    format: Literal["csv", "json"]
    page_size: int = Field(ge=1)
    prefetch_pages: int = Field(ge=0)
    count_exact: bool
    connect_timeout_seconds: float = Field(gt=0)
    read_timeout_seconds: float = Field(gt=0)
    request_timeout_seconds: float = Field(gt=0)
    load_timeout_seconds: float = Field(gt=0)
    lookback_hours: int = Field(ge=0)
    retry: RetrySettings


class OperationsTable(Section):
    """One SQL Server table: incremental on ``watermark_column`` (rows upserted into raw by the
    table's key), or a full snapshot when null."""

    watermark_column: SqlName | None


class OperationsSettings(Section):
    """Operations records from SQL Server (connection id: ``connections.operations``)."""

    db_schema: SqlName
    chunk_rows: int = Field(ge=1)
    query_timeout_seconds: int = Field(ge=1)
    lookback_hours: int = Field(ge=0)
    tables: dict[SqlName, OperationsTable]


class StandinSettings(Section):
    """The dev-only PostgREST stand-in (fuelopt.sources.postgrest_standin)."""

    db_schema: SqlName
    bind_address: str
    port: int = Field(ge=1, le=65535)
    max_rows: int | None = Field(ge=1)


class ExtractDagSettings(Section):
    """Settings shared by the extract_telemetry and extract_operations DAGs."""

    max_active_runs: int = Field(ge=1)


class SourceSettings(Section):
    dags: ExtractDagSettings
    postgrest: PostgrestSettings
    operations: OperationsSettings
    standin: StandinSettings
