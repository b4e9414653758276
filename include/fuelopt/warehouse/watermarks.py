"""High-water marks of incremental extraction (``ops.watermarks``), one per source table."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from fuelopt.config import get_settings


def _table() -> sql.Composed:
    return sql.SQL("{}.watermarks").format(sql.Identifier(get_settings().warehouse.schemas.ops))


def get_watermark(conn: psycopg.Connection, source: str, table: str) -> datetime | None:
    """The highest value loaded so far, or None before the first load."""
    row = conn.execute(
        sql.SQL("SELECT value FROM {} WHERE source = %s AND table_name = %s").format(_table()),
        (source, table),
    ).fetchone()
    return row[0] if row else None


def advance_watermark(
    conn: psycopg.Connection, source: str, table: str, column: str, value: datetime
) -> None:
    """Raise the mark to ``value``; never lowers it (a backfill of old data leaves it alone)."""
    conn.execute(
        sql.SQL(
            """INSERT INTO {t} (source, table_name, column_name, value) VALUES (%s, %s, %s, %s)
               ON CONFLICT (source, table_name) DO UPDATE
               SET value = GREATEST({t}.value, EXCLUDED.value), column_name = EXCLUDED.column_name,
                   updated_at = now()"""
        ).format(t=_table()),
        (source, table, column, value),
    )
