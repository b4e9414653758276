"""The current window (the last hours of the cycle feature frame) and the reference window.

The current window ends at the newest row at or before the run's data interval end ("as of"):
a scheduled run sees the latest hours, a backfill sees the hours it is about, and a warehouse
whose data stopped arriving is still checked on its last hours (freshness reports the gap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.monitor.champion import Champion, reference_profile
from fuelopt.warehouse.db import query_frame, relation, relation_exists


@dataclass(frozen=True)
class Windows:
    reference: pd.DataFrame
    current: pd.DataFrame
    reference_source: str  # "champion:<name>@v<version>" or "warehouse:<days>d"
    current_start: datetime | None
    current_end: datetime | None

    def frames(self) -> tuple[tuple[str, pd.DataFrame], tuple[str, pd.DataFrame]]:
        return ("reference", self.reference), ("current", self.current)


def features_table() -> str:
    settings = get_settings()
    return f"{settings.warehouse.schemas.features}.{settings.monitor.window.table}"


def _rows_between(conn: psycopg.Connection) -> sql.Composed:
    cfg = get_settings().monitor.window
    table = relation("features", cfg.table)
    if not relation_exists(conn, table):
        raise RuntimeError(f"{features_table()} does not exist: has transform_warehouse (dbt) run?")
    return sql.SQL("SELECT * FROM {t} WHERE {ts} > %s AND {ts} <= %s").format(
        t=table, ts=sql.Identifier(cfg.time_column)
    )


def current_window(
    conn: psycopg.Connection, as_of: datetime
) -> tuple[pd.DataFrame, datetime | None, datetime | None]:
    """The last ``current_hours`` of the feature frame ending at its newest row at or before
    ``as_of``: (rows, start, end); no row yet: (empty frame, None, None)."""
    cfg = get_settings().monitor.window
    rows_between = _rows_between(conn)
    newest = sql.SQL("SELECT max({ts}) FROM {t} WHERE {ts} <= %s").format(
        t=relation("features", cfg.table), ts=sql.Identifier(cfg.time_column)
    )
    end = conn.execute(newest, (as_of,)).fetchone()[0]
    if end is None:
        return query_frame(conn, rows_between, (as_of, as_of)), None, None
    start = end - timedelta(hours=cfg.current_hours)
    return query_frame(conn, rows_between, (start, end)), start, end


def load_windows(conn: psycopg.Connection, as_of: datetime, champion: Champion | None) -> Windows:
    """Current window from the warehouse; reference from the champion, else the warehouse."""
    cfg = get_settings().monitor.window
    current, start, end = current_window(conn, as_of)
    if end is None:
        return Windows(current, current, "none", None, None)
    rows_between = _rows_between(conn)
    reference = reference_profile(champion) if champion else None
    if reference is not None:
        source = f"champion:{champion.label}"
    else:
        reference = query_frame(
            conn, rows_between, (start - timedelta(days=cfg.reference_days), start)
        )
        source = f"warehouse:{cfg.reference_days:g}d"
    return Windows(reference, current, source, start, end)
