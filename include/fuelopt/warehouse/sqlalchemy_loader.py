"""The raw loader for a SQL Server warehouse (production), through SQLAlchemy Core.

Same contract as :func:`fuelopt.warehouse.loader.load_interval` (one transaction: delete the
interval, insert, audit, watermark), for engines without PostgreSQL's COPY. On ``mssql+pyodbc``
the engine is created with ``fast_executemany=True`` so each batch goes to the server as one
bulk parameter array; other drivers use SQLAlchemy's batched ``executemany``. Portable Core
statements only (no upsert), so it also runs, and is tested, on PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fuelopt.config import get_settings
from fuelopt.sources.tables import METADATA_COLUMNS, column_kind
from fuelopt.warehouse.loader import Interval, LoadResult, new_batch_id

_TYPES = {
    "timestamp": sa.DateTime(timezone=True),
    "date": sa.Date(),
    "float": sa.Float(),
    "string": sa.String(),
}


def bulk_engine(url: str) -> Engine:
    """An engine for bulk inserts: ``fast_executemany`` on SQL Server through pyodbc."""
    kwargs = {"fast_executemany": True} if url.startswith("mssql+pyodbc") else {}
    return sa.create_engine(url, **kwargs)


def _raw_table(schema: str, table: str, columns: Sequence[str]) -> sa.Table:
    cols = [sa.Column(c, _TYPES[column_kind(c)]) for c in columns]
    meta = [
        sa.Column("_loaded_at", sa.DateTime(timezone=True)),
        sa.Column("_batch_id", sa.String()),
        sa.Column("_source", sa.String()),
    ]
    return sa.Table(table, sa.MetaData(schema=schema), *cols, *meta)


def _ops_tables(schema: str) -> tuple[sa.Table, sa.Table]:
    meta = sa.MetaData(schema=schema)
    audit = sa.Table(
        "load_audit",
        meta,
        *(
            sa.Column(name)
            for name in (
                "batch_id",
                "source",
                "table_name",
                "interval_start",
                "interval_end",
                "rows_read",
                "rows_loaded",
                "rows_replaced",
                "seconds",
            )
        ),
    )
    marks = sa.Table(
        "watermarks",
        meta,
        sa.Column("source"),
        sa.Column("table_name"),
        sa.Column("column_name"),
        sa.Column("value", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    return audit, marks


def load_interval_sqlalchemy(
    engine: Engine,
    table: str,
    columns: Sequence[str],
    pages: Iterable[Sequence[Sequence[object]]],
    *,
    source: str,
    interval: Interval,
    batch_id: str | None = None,
) -> LoadResult:
    """Replace ``interval`` of ``raw.<table>`` with ``pages`` in one transaction (event-time
    intervals and snapshots; upserts by key: :func:`fuelopt.warehouse.loader.load_interval`)."""
    if interval.key:
        raise NotImplementedError("upsert by key: use fuelopt.warehouse.loader.load_interval")
    schemas = get_settings().warehouse.schemas
    target = _raw_table(schemas.raw, table, columns)
    audit, marks = _ops_tables(schemas.ops)
    batch_id = batch_id or new_batch_id(source, table)
    started = time.perf_counter()
    loaded_at = datetime.now(UTC)
    names = (*columns, *METADATA_COLUMNS)
    meta = (loaded_at, batch_id, source)
    rows = 0
    with engine.begin() as conn:
        delete = sa.delete(target)
        if interval.column is not None:
            col = target.c[interval.column]
            delete = delete.where(col >= interval.start, col < interval.end)
        replaced = conn.execute(delete).rowcount
        insert = sa.insert(target)
        for page in pages:
            if page:
                conn.execute(insert, [dict(zip(names, (*row, *meta), strict=True)) for row in page])
                rows += len(page)
        seconds = time.perf_counter() - started
        conn.execute(
            sa.insert(audit).values(
                batch_id=batch_id,
                source=source,
                table_name=table,
                interval_start=interval.start,
                interval_end=interval.end,
                rows_read=rows,
                rows_loaded=rows,
                rows_replaced=replaced,
                seconds=seconds,
            )
        )
        if interval.column is not None:
            col = target.c[interval.column]
            high = conn.execute(
                sa.select(sa.func.max(col)).where(col >= interval.start, col < interval.end)
            ).scalar()
            if high is not None:
                _advance(conn, marks, source, table, interval.column, high)
    return LoadResult(batch_id, table, source, rows, rows, replaced, seconds)


def _advance(conn, marks: sa.Table, source: str, table: str, column: str, value) -> None:
    """Raise the watermark (portable read-then-write inside the load's transaction)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    key = (marks.c.source == source) & (marks.c.table_name == table)
    current = conn.execute(sa.select(marks.c.value).where(key)).scalar()
    now = datetime.now(UTC)
    if current is None:
        conn.execute(
            sa.insert(marks).values(
                source=source, table_name=table, column_name=column, value=value, updated_at=now
            )
        )
    elif _aware(value) > _aware(current):
        conn.execute(sa.update(marks).where(key).values(value=value, updated_at=now))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
