"""Bulk loads into ``raw.*``: one transaction per table and data interval, delete-then-COPY.

A load deletes the rows of its interval (``interval_column`` in ``[start, end)``, or the whole
table for a snapshot), streams the new rows in with PostgreSQL ``COPY``, adds the load metadata
(``_loaded_at``, ``_batch_id``, ``_source``), writes one ``ops.load_audit`` row and advances the
watermark, then commits. A failure anywhere (source, parse, database) rolls everything back, so
``raw`` holds exactly one copy of an interval whatever is re-run or backfilled.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.sources.tables import METADATA_COLUMNS
from fuelopt.warehouse.db import connect
from fuelopt.warehouse.watermarks import advance_watermark

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Interval:
    """``[start, end)`` on ``column`` of the raw table; column None means the whole table."""

    column: str | None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class LoadResult:
    batch_id: str
    table: str
    source: str
    rows_read: int
    rows_loaded: int
    rows_replaced: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def new_batch_id(source: str, table: str) -> str:
    """A unique, readable batch id: ``<source>:<table>:<UTC time>:<random>``."""
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{source}:{table}:{now}:{uuid.uuid4().hex[:8]}"


def load_interval(
    table: str,
    columns: Sequence[str],
    pages: Iterable[Sequence[Sequence[object]]],
    *,
    source: str,
    interval: Interval,
    uri: str | None = None,
    batch_id: str | None = None,
) -> LoadResult:
    """Replace ``interval`` of ``raw.<table>`` with the rows of ``pages``, in one transaction."""
    schemas = get_settings().warehouse.schemas
    target = sql.Identifier(schemas.raw, table)
    batch_id = batch_id or new_batch_id(source, table)
    started = time.perf_counter()
    loaded_at = datetime.now(UTC)
    meta = (loaded_at, batch_id, source)
    with connect(uri) as conn:
        conn.execute("SET LOCAL lock_timeout = '60s'")
        conn.execute("SET LOCAL TIME ZONE 'UTC'")  # timestamps without offset are UTC
        # One load of a table at a time (a backfill beside a scheduled run): the second waits
        # for the first to commit, then its DELETE sees and replaces the first one's rows.
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{schemas.raw}.{table}",)
        )
        where, params = _interval_filter(interval)
        replaced = conn.execute(
            sql.SQL("DELETE FROM {} WHERE {}").format(target, where), params
        ).rowcount
        rows = 0
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in (*columns, *METADATA_COLUMNS))
        )
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for page in pages:
                for row in page:
                    copy.write_row((*row, *meta))
                rows += len(page)
        seconds = time.perf_counter() - started
        conn.execute(
            sql.SQL(
                """INSERT INTO {}.load_audit (batch_id, source, table_name, interval_start,
                       interval_end, rows_read, rows_loaded, rows_replaced, seconds)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""
            ).format(sql.Identifier(schemas.ops)),
            (batch_id, source, table, interval.start, interval.end, rows, rows, replaced, seconds),
        )
        _advance(conn, target, source, table, interval)
    result = LoadResult(batch_id, table, source, rows, rows, replaced, seconds)
    log.info("loaded %s", result)
    return result


def _interval_filter(interval: Interval) -> tuple[sql.Composable, list[object]]:
    if interval.column is None:
        return sql.SQL("TRUE"), []
    if interval.start is None or interval.end is None:
        raise ValueError(f"interval on {interval.column} needs both start and end")
    column = sql.Identifier(interval.column)
    return sql.SQL("{} >= %s AND {} < %s").format(column, column), [interval.start, interval.end]


def _advance(
    conn: psycopg.Connection, target: sql.Identifier, source: str, table: str, interval: Interval
) -> None:
    """Move the watermark to the highest value now loaded in the interval (if any)."""
    if interval.column is None:
        return
    where, params = _interval_filter(interval)
    row = conn.execute(
        sql.SQL("SELECT max({}) FROM {} WHERE {}").format(
            sql.Identifier(interval.column), target, where
        ),
        params,
    ).fetchone()
    if row and row[0] is not None:
        value = row[0]
        if not isinstance(value, datetime):  # a date column
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
        advance_watermark(conn, source, table, interval.column, value)
