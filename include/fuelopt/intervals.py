"""Time in one place: every timestamp the pipeline compares is an aware UTC ``datetime``.

Airflow hands tasks pendulum ``DateTime`` objects (its data interval, ``run_after``), the warehouse
returns aware ``datetime`` from ``timestamptz``, users type ISO text. ``to_utc`` turns each into a
plain aware UTC ``datetime`` before any arithmetic or comparison; ``run_data_end`` tells a task
the end of the data its run covers, whether the scheduler, an Asset event or a user triggered it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from fuelopt.errors import BadInput

DATA_END_KEY = "data_end"


def to_utc(value: str | datetime | None, field: str) -> datetime | None:
    """An aware UTC ``datetime`` (naive means UTC) from ISO text or any datetime; ``None`` stays.

    Pendulum values become standard-library datetimes, so comparisons with values read back
    from the database never mix the two types. Bad text raises BadInput naming ``field``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"{field}: not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    utc = parsed.astimezone(UTC)
    return datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, UTC
    )


def _event_data_ends(events: Mapping[Any, Iterable[Any]]) -> list[datetime]:
    """Per triggering Asset, the newest ``data_end`` its events carry (events without one skip)."""
    ends = []
    for asset_events in events.values():
        stamped = [
            to_utc((event.extra or {}).get(DATA_END_KEY), "asset event extra.data_end")
            for event in asset_events
        ]
        stamped = [end for end in stamped if end is not None]
        if stamped:
            ends.append(max(stamped))
    return ends


def run_data_end(context: Mapping[str, Any]) -> datetime:
    """The end of the data this run covers, in UTC.

    A scheduled or backfill run: its data interval's end. An Asset-triggered run: the earliest
    of the triggering Assets' newest ``data_end`` stamps (the data every input has reached).
    Otherwise (a manual run, unstamped events): when the run was due.
    """
    end = to_utc(context.get("data_interval_end"), "data_interval_end")
    if end is not None:
        return end
    ends = _event_data_ends(context.get("triggering_asset_events") or {})
    if ends:
        return min(ends)
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None) or context.get("logical_date")
    return to_utc(run_after, "run_after") or datetime.now(UTC)


def is_backfill(context: Mapping[str, Any]) -> bool:
    """Whether this run is a backfill (``airflow backfill create``)."""
    run_type = getattr(context.get("dag_run"), "run_type", None)
    return str(getattr(run_type, "value", run_type)) == "backfill"


def stamp_event(context: Mapping[str, Any], asset: Any, data_end: datetime, **extra: Any) -> None:
    """Record on this task's event of ``asset`` how far its data reaches (and any other extras)."""
    context["outlet_events"][asset].extra = {
        DATA_END_KEY: to_utc(data_end, "data_end").isoformat(),
        **extra,
    }
