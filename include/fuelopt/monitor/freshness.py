"""Minutes since the newest row of each raw source, against the configured thresholds."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.monitor.checks import CheckRow
from fuelopt.warehouse.db import relation, relation_exists

# (source, raw table, event-time column); each is also checked on its load time, _loaded_at.
SOURCES = (
    ("telemetry", "truck_telemetry", "ts"),
    ("operations", "haul_cycles", "dump_end"),
)


def staleness_severity(minutes: float | None, threshold: float, high_factor: float) -> str:
    if minutes is None or minutes > threshold * high_factor:
        return "high"
    return "warning" if minutes > threshold else "none"


def check_freshness(conn: psycopg.Connection, as_of: datetime) -> list[CheckRow]:
    """One row per source table and timestamp column: minutes between its newest value and
    ``as_of`` (the run's data interval end), stale above the source's threshold."""
    settings = get_settings()
    cfg = settings.monitor.freshness
    raw = settings.warehouse.schemas.raw
    rows = []
    for source, table, event_col in SOURCES:
        threshold = getattr(cfg, f"{source}_max_minutes")
        ident = relation("raw", table)
        qualified = f"{raw}.{table}"  # the check's subject
        exists = relation_exists(conn, ident)
        for col in (event_col, "_loaded_at"):
            newest = None
            if exists:
                newest = conn.execute(
                    sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(col), ident)
                ).fetchone()[0]
            minutes = None if newest is None else (as_of - newest).total_seconds() / 60
            severity = staleness_severity(minutes, threshold, cfg.high_factor)
            rows.append(
                CheckRow(
                    check_type="freshness",
                    subject=qualified,
                    column_name=col,
                    metric="minutes_stale",
                    value=minutes,
                    threshold=threshold,
                    drift=severity != "none",
                    severity=severity,
                    details={
                        "source": source,
                        "newest": newest.isoformat() if newest else None,
                        "as_of": as_of.isoformat(),
                        **({} if newest else {"note": "no rows" if exists else "no table"}),
                    },
                )
            )
    return rows
