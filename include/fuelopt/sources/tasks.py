"""What the extract DAGs' tasks call: the run's window from its data interval and params."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fuelopt.sources.extract import parse_timestamp

SINCE_HELP = (
    "Manual backfill: ISO 8601 start (inclusive, UTC if no offset), e.g. 2026-01-05T00:00:00+00:00."
    " Overrides the data interval; leave empty for scheduled behaviour."
)
UNTIL_HELP = (
    "Manual backfill: ISO 8601 end (exclusive). Overrides the data interval's end; the window"
    " [since, until) is replaced in raw in one transaction."
)


def run_window(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    params: dict[str, Any] | None,
) -> dict[str, datetime | None]:
    """Keyword arguments for the loaders: the data interval and the optional overrides."""
    params = params or {}
    since = parse_timestamp(params.get("since"), "params.since")
    until = parse_timestamp(params.get("until"), "params.until")
    start = parse_timestamp(data_interval_start, "data_interval_start") or since
    end = parse_timestamp(data_interval_end, "data_interval_end") or until
    if start is None or end is None:
        raise ValueError("this run has no data interval: trigger it with since and until params")
    return {"interval_start": start, "interval_end": end, "since": since, "until": until}


def telemetry_task(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    params: dict[str, Any] | None,
) -> dict[str, Any]:
    """The extract_telemetry load task."""
    from fuelopt.sources.extract import load_telemetry

    return load_telemetry(**run_window(data_interval_start, data_interval_end, params))


def operations_task(
    table: str,
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    params: dict[str, Any] | None,
) -> dict[str, Any]:
    """One extract_operations load task."""
    from fuelopt.sources.extract import load_operations_table

    return load_operations_table(
        table, **run_window(data_interval_start, data_interval_end, params)
    )
