"""Bulk loads into ``raw.*``: one transaction per table and data interval.

A load streams the source's rows with PostgreSQL ``COPY``, page by page, into a temporary table
whose column defaults are the load metadata (``_loaded_at``, ``_batch_id``, ``_source``). An
event-time or snapshot load moves each page on into ``raw`` as soon as it is staged (the next page
is read meanwhile), invisible to others until commit; an upsert keeps every page staged. Only
then does it take the table's load lock (waiting at most ``warehouse.load.lock_timeout_seconds``),
delete the rows it replaces (other batches'), write one ``ops.load_audit`` row, advance the
watermark and commit. While the source is read, a load holds no lock on ``raw`` beyond the ROW
EXCLUSIVE lock any insert takes (it blocks no reader and no other load). What a load replaces:

- an event-time interval (``Interval(column, start, end)``): every raw row in ``[start, end)``;
- an upsert (``Interval(column, start, end, key=...)``): every raw row whose key is among the
  loaded rows' keys, the rows having been selected by ``column`` (e.g. ``modified_at``) in
  ``[start, end)`` at the source; a corrected row replaces the old one, a re-run changes nothing;
- a snapshot (``Interval(None)``): the whole table.

A page is either rows (sequences of values, COPY'd row by row) or :class:`CsvRows`, CSV text
with a header line that goes to ``COPY ... (FORMAT csv, HEADER true)`` as it is, never parsed in
Python, into the columns its header names.

A failure anywhere (source, parse, database) rolls everything back, so ``raw`` holds exactly one
copy of each row whatever is re-run or backfilled. There is no row-level quarantine at load: a
value the raw column type cannot take (e.g. text in a float column) fails the whole load; rows that
load but break the contract are set aside later by dbt (``ops.rejects``).
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


@dataclass(frozen=True)
class CsvRows:
    """``count`` rows as CSV (RFC 4180) in ``data[start:end]``: a header line naming ``columns``
    (raw columns, in the order of the fields), then the rows."""

    columns: tuple[str, ...]
    data: bytes
    start: int
    end: int
    count: int

    def __len__(self) -> int:
        return self.count


Page = Sequence[Sequence[object]] | CsvRows


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
    pages: Iterable[Page],
    *,
    source: str,
    interval: Interval,
    uri: str | None = None,
    batch_id: str | None = None,
) -> LoadResult:
    """Replace what ``interval`` covers in ``raw.<table>`` with the rows of ``pages``, in one
    transaction; the rows are read in full before the table's load lock is taken."""
    settings = get_settings().warehouse
    target = sql.Identifier(settings.schemas.raw, table)
    batch_id = batch_id or new_batch_id(source, table)
    started = time.perf_counter()
    meta = (datetime.now(UTC), batch_id, source)
    lock_seconds = settings.load.lock_timeout_seconds
    moving = not interval.key  # each page moves on into raw at once
    with connect(uri) as conn:
        conn.execute(
            "SELECT set_config('lock_timeout', %s, false)", (f"{lock_seconds * 1000:.0f}ms",)
        )
        conn.execute("SET TIME ZONE 'UTC'")  # timestamps without offset are UTC
        names = _create_stage(conn, target, columns, meta, interval)
        rows, highest = 0, []
        with conn.cursor() as cur:
            for page in pages:
                rows += _copy_page(cur, names, page)
                if moving:
                    highest.append(_move(cur, target, columns, interval))
        _lock(conn, f"{settings.schemas.raw}.{table}", lock_seconds)
        replaced = conn.execute(*_delete(target, interval, batch_id)).rowcount
        if not moving:
            conn.execute(_insert(target, columns))
            highest.append(_highest(conn, interval, MARK, STAGE))
        seconds = time.perf_counter() - started
        conn.execute(
            sql.SQL(
                """INSERT INTO {}.load_audit (batch_id, source, table_name, interval_start,
                       interval_end, rows_read, rows_loaded, rows_replaced, seconds)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""
            ).format(sql.Identifier(settings.schemas.ops)),
            (batch_id, source, table, interval.start, interval.end, rows, rows, replaced, seconds),
        )
        marks = [m for m in highest if m is not None]
        if interval.column is not None and marks:
            advance_watermark(conn, source, table, interval.column, _as_mark(max(marks)))
        conn.execute(sql.SQL("DROP TABLE {}").format(STAGE))
    result = LoadResult(batch_id, table, source, rows, rows, replaced, seconds)
    log.info("loaded %s", result)
    return result


STAGE = sql.Identifier("_fuelopt_load_stage")
MARK = "_mark"


def _create_stage(
    conn: psycopg.Connection,
    target: sql.Identifier,
    columns: Sequence[str],
    meta: tuple[object, ...],
    interval: Interval,
) -> list[str]:
    """The temporary staging table of this session, like ``target`` with the load metadata
    ``meta`` as its columns' defaults (plus the upsert's watermark column), created in a
    transaction of its own; returns the columns a page of rows fills."""
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {})").format(STAGE, target))
    for name, value in zip(METADATA_COLUMNS, meta, strict=True):
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                STAGE, sql.Identifier(name), sql.Literal(value)
            )
        )
    names = list(columns)
    if interval.key:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN {} timestamptz").format(STAGE, sql.Identifier(MARK))
        )
        names.append(MARK)
    conn.commit()
    return names


def _copy_page(cur: psycopg.Cursor, names: Sequence[str], page: Page) -> int:
    """One page into the staging table; returns its row count. Rows fill ``names``; a CSV page
    fills the columns its header names, PostgreSQL parsing and typing every value (its count is
    checked against what COPY took)."""
    if not isinstance(page, CsvRows):
        with cur.copy(_copy_sql(names)) as copy:
            for row in page:
                copy.write_row(row)
        return len(page)
    with cur.copy(_copy_sql(page.columns, " WITH (FORMAT csv, HEADER true)")) as copy:
        copy.write(memoryview(page.data)[page.start : page.end])
    if cur.rowcount != page.count:
        raise ValueError(f"COPY took {cur.rowcount} rows of a CSV page of {page.count}")
    return page.count


def _copy_sql(columns: Sequence[str], options: str = "") -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        STAGE, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(options)
    )


def _insert(target: sql.Identifier, columns: Sequence[str]) -> sql.Composed:
    """INSERT of the staged rows, with their load metadata, into ``target``."""
    names = sql.SQL(", ").join(sql.Identifier(c) for c in (*columns, *METADATA_COLUMNS))
    return sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(target, names, names, STAGE)


def _move(
    cur: psycopg.Cursor, target: sql.Identifier, columns: Sequence[str], interval: Interval
) -> object | None:
    """The staged rows into ``target``, the staging table emptied; returns the highest
    ``interval.column`` value among them within the interval (None: none, or a snapshot)."""
    highest = None
    if interval.column is None:
        cur.execute(_insert(target, columns))
    else:
        column = sql.Identifier(interval.column)
        where, params = _interval_filter(interval, interval.column)
        query = sql.SQL("WITH moved AS ({} RETURNING {}) SELECT max({}) FROM moved WHERE {}")
        highest = cur.execute(
            query.format(_insert(target, columns), column, column, where), params
        ).fetchone()[0]
    cur.execute(sql.SQL("TRUNCATE {}").format(STAGE))
    return highest


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


def _delete(
    target: sql.Identifier, interval: Interval, batch_id: str
) -> tuple[sql.Composable, list[object]]:
    """The DELETE of what the load replaces (rows of other batches than ``batch_id``), and its
    parameters."""
    if interval.key:
        keys = sql.SQL(", ").join(map(sql.Identifier, interval.key))
        match = sql.SQL(" AND ").join(
            sql.SQL("t.{k} = s.{k}").format(k=sql.Identifier(k)) for k in interval.key
        )
        query = sql.SQL("DELETE FROM {} t USING (SELECT DISTINCT {} FROM {}) s WHERE {}")
        return query.format(target, keys, STAGE, match), []
    where, params = _interval_filter(interval, interval.column)
    query = sql.SQL("DELETE FROM {} WHERE {} AND {} <> %s")
    return query.format(target, where, sql.Identifier(METADATA_COLUMNS[1])), [*params, batch_id]


def _interval_filter(interval: Interval, column: str | None) -> tuple[sql.Composable, list[object]]:
    if column is None:
        return sql.SQL("TRUE"), []
    if interval.start is None or interval.end is None:
        raise ValueError(f"interval on {interval.column} needs both start and end")
    ident = sql.Identifier(column)
    return sql.SQL("{} >= %s AND {} < %s").format(ident, ident), [interval.start, interval.end]


def _highest(
    conn: psycopg.Connection, interval: Interval, column: str, table: sql.Identifier
) -> object | None:
    """The highest ``column`` value of ``table`` within the interval (None: none)."""
    if interval.column is None:
        return None
    where, params = _interval_filter(interval, column)
    query = sql.SQL("SELECT max({}) FROM {} WHERE {}").format(sql.Identifier(column), table, where)
    return conn.execute(query, params).fetchone()[0]


def _as_mark(value: object) -> datetime:
    """A watermark value: a date column's value as midnight UTC."""
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)  # type: ignore[attr-defined]
