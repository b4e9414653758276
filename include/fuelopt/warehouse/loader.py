"""Bulk loads into ``raw.*``: one transaction per table and data interval.

A load first streams the source's rows with PostgreSQL ``COPY`` into a temporary table of its own
transaction (no lock on ``raw`` is held while the source is read, however slow it is). Then it
takes the table's load lock (waiting at most ``warehouse.load.lock_timeout_seconds``), replaces
the rows it covers, adds the load metadata (``_loaded_at``, ``_batch_id``, ``_source``), writes
one ``ops.load_audit`` row and advances the watermark, and commits. What a load replaces:

- an event-time interval (``Interval(column, start, end)``): every raw row in ``[start, end)``;
- an upsert (``Interval(column, start, end, key=...)``): every raw row whose key is among the
  loaded rows' keys, the rows having been selected by ``column`` (e.g. ``modified_at``) in
  ``[start, end)`` at the source; a corrected row replaces the old one, a re-run changes nothing;
- a snapshot (``Interval(None)``): the whole table.

A failure anywhere (source, parse, database) rolls everything back, so ``raw`` holds exactly one
copy of each row whatever is re-run or backfilled.
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
    """``[start, end)`` on ``column``; column None means the whole table (a snapshot).

    Without ``key``, ``column`` is a raw column and the load replaces the raw rows in the
    interval. With ``key`` (raw columns), the load replaces the raw rows with the keys it
    loads, and each row carries its ``column`` value (a source column, e.g. ``modified_at``)
    as one extra last value, which the watermark follows.
    """

    column: str | None
    start: datetime | None = None
    end: datetime | None = None
    key: tuple[str, ...] = ()


class LoadLockTimeout(RuntimeError):
    """Another load of the same raw table held it longer than the configured wait (transient)."""


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
    """Replace what ``interval`` covers in ``raw.<table>`` with the rows of ``pages``, in one
    transaction; the rows are read in full before any lock on the raw table is taken."""
    settings = get_settings().warehouse
    target = sql.Identifier(settings.schemas.raw, table)
    batch_id = batch_id or new_batch_id(source, table)
    started = time.perf_counter()
    meta = (datetime.now(UTC), batch_id, source)
    lock_seconds = settings.load.lock_timeout_seconds
    with connect(uri) as conn:
        conn.execute(
            "SELECT set_config('lock_timeout', %s, false)", (f"{lock_seconds * 1000:.0f}ms",)
        )
        conn.execute("SET TIME ZONE 'UTC'")  # timestamps without offset are UTC
        rows = _stage(conn, target, columns, pages, meta, interval)
        _lock(conn, f"{settings.schemas.raw}.{table}", lock_seconds)
        replaced = conn.execute(*_delete(target, interval)).rowcount
        names = sql.SQL(", ").join(sql.Identifier(c) for c in (*columns, *METADATA_COLUMNS))
        conn.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(target, names, names, STAGE)
        )
        seconds = time.perf_counter() - started
        conn.execute(
            sql.SQL(
                """INSERT INTO {}.load_audit (batch_id, source, table_name, interval_start,
                       interval_end, rows_read, rows_loaded, rows_replaced, seconds)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""
            ).format(sql.Identifier(settings.schemas.ops)),
            (batch_id, source, table, interval.start, interval.end, rows, rows, replaced, seconds),
        )
        _advance(conn, source, table, interval)
        conn.execute(sql.SQL("DROP TABLE {}").format(STAGE))
    result = LoadResult(batch_id, table, source, rows, rows, replaced, seconds)
    log.info("loaded %s", result)
    return result


STAGE = sql.Identifier("_fuelopt_load_stage")
MARK = "_mark"


def _stage(
    conn: psycopg.Connection,
    target: sql.Identifier,
    columns: Sequence[str],
    pages: Iterable[Sequence[Sequence[object]]],
    meta: tuple[object, ...],
    interval: Interval,
) -> int:
    """COPY every row into a temporary table of this session; returns the row count. The table
    is created in a transaction of its own, so no lock on ``target`` is held while reading."""
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {})").format(STAGE, target))
    names = [*columns, *METADATA_COLUMNS]
    if interval.key:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN {} timestamptz").format(STAGE, sql.Identifier(MARK))
        )
        names.append(MARK)
    conn.commit()
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
        STAGE, sql.SQL(", ").join(sql.Identifier(c) for c in names)
    )
    rows = 0
    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
        for page in pages:
            for row in page:
                copy.write_row((*row[: len(columns)], *meta, *row[len(columns) :]))
            rows += len(page)
    return rows


def _lock(conn: psycopg.Connection, name: str, seconds: float) -> None:
    """One load of a table at a time (a backfill beside a scheduled run): the second waits for
    the first to commit, at most ``seconds``, then replaces the first one's rows."""
    try:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))
    except psycopg.errors.LockNotAvailable:
        raise LoadLockTimeout(
            f"{name}: another load of this table still holds it after {seconds:g} s "
            "(warehouse.load.lock_timeout_seconds); retry when it has finished"
        ) from None


def _delete(target: sql.Identifier, interval: Interval) -> tuple[sql.Composable, list[object]]:
    """The DELETE of what the load replaces, and its parameters."""
    if interval.key:
        keys = sql.SQL(", ").join(map(sql.Identifier, interval.key))
        match = sql.SQL(" AND ").join(
            sql.SQL("t.{k} = s.{k}").format(k=sql.Identifier(k)) for k in interval.key
        )
        query = sql.SQL("DELETE FROM {} t USING (SELECT DISTINCT {} FROM {}) s WHERE {}")
        return query.format(target, keys, STAGE, match), []
    where, params = _interval_filter(interval, interval.column)
    return sql.SQL("DELETE FROM {} WHERE {}").format(target, where), params


def _interval_filter(interval: Interval, column: str | None) -> tuple[sql.Composable, list[object]]:
    if column is None:
        return sql.SQL("TRUE"), []
    if interval.start is None or interval.end is None:
        raise ValueError(f"interval on {interval.column} needs both start and end")
    ident = sql.Identifier(column)
    return sql.SQL("{} >= %s AND {} < %s").format(ident, ident), [interval.start, interval.end]


def _advance(conn: psycopg.Connection, source: str, table: str, interval: Interval) -> None:
    """Move the watermark to the highest value loaded in the interval (if any)."""
    if interval.column is None:
        return
    column = MARK if interval.key else interval.column
    where, params = _interval_filter(interval, column)
    row = conn.execute(
        sql.SQL("SELECT max({}) FROM {} WHERE {}").format(sql.Identifier(column), STAGE, where),
        params,
    ).fetchone()
    if row and row[0] is not None:
        value = row[0]
        if not isinstance(value, datetime):  # a date column
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
        advance_watermark(conn, source, table, interval.column, value)
