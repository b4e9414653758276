"""What the extract DAGs' tasks call: the run's window from its data interval and params."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fuelopt.errors import BadInput
from fuelopt.intervals import stamp_event, to_utc

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
    since = to_utc(params.get("since"), "params.since")
    until = to_utc(params.get("until"), "params.until")
    start = to_utc(data_interval_start, "data_interval_start") or since
    end = to_utc(data_interval_end, "data_interval_end") or until
    if start is None or end is None:
        raise BadInput("this run has no data interval: trigger it with since and until params")
    return {"interval_start": start, "interval_end": end, "since": since, "until": until}


def _stamped(
    context: Mapping[str, Any], asset: Any, source: str, table: str, result: dict[str, Any]
) -> dict[str, Any]:
    """Tell consumers how far the table's data reaches: the window's end, or the newest row
    loaded when that is earlier (a run past the source's data). Snapshot tables carry no stamp."""
    from fuelopt.sources.extract import watermark_of

    mark = watermark_of(source, table) if result.get("end") else None
    if mark is not None:
        data_end = min(to_utc(result["end"], "end"), mark)
        stamp_event(context, asset, data_end, rows=result.get("rows_loaded"))
    return result


def telemetry_task(context: Mapping[str, Any], asset: Any) -> dict[str, Any]:
    """The extract_telemetry load task, from its context alone (data interval, params)."""
    from fuelopt.sources.extract import TELEMETRY_SOURCE, load_telemetry

    window = run_window(
        context.get("data_interval_start"), context.get("data_interval_end"), context["params"]
    )
    return _stamped(context, asset, TELEMETRY_SOURCE, "truck_telemetry", load_telemetry(**window))


def operations_task(table: str, context: Mapping[str, Any], asset: Any) -> dict[str, Any]:
    """One extract_operations load task, from its context alone (data interval, params)."""
    from fuelopt.sources.extract import OPERATIONS_SOURCE, load_operations_table

    window = run_window(
        context.get("data_interval_start"), context.get("data_interval_end"), context["params"]
    )
    return _stamped(
        context, asset, OPERATIONS_SOURCE, table, load_operations_table(table, **window)
    )
