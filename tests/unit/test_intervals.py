"""Time in one place: every datetime the pipeline compares is a plain aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pendulum
import pytest

from fuelopt.errors import BadInput
from fuelopt.intervals import run_data_end, to_utc
from fuelopt.sources.extract import resolve_window

T = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_to_utc_reads_text_naive_offsets_and_pendulum():
    assert to_utc("2026-01-05T10:00:00", "--since") == T
    assert to_utc("2026-01-05T12:00:00+02:00", "--since") == T
    assert to_utc("2026-01-05T10:00:00Z", "--since") == T
    assert to_utc(datetime(2026, 1, 5, 10), "x") == T
    value = to_utc(pendulum.datetime(2026, 1, 5, 11, tz="Europe/Berlin"), "x")
    assert value == T and type(value) is datetime and value.tzinfo is UTC
    assert to_utc(None, "x") is None and to_utc("", "x") is None


def test_to_utc_names_the_field_of_bad_text():
    with pytest.raises(BadInput, match="--until: not an ISO 8601 timestamp: 'tomorrow'"):
        to_utc("tomorrow", "--until")


def test_window_of_a_scheduled_run_compares_pendulum_with_a_stored_watermark():
    """The data interval arrives as pendulum DateTime, the watermark as an aware datetime from
    timestamptz (here in another zone): the window is computed without a naive/aware clash."""
    start = pendulum.datetime(2026, 1, 5, 9, tz="UTC")
    watermark = datetime(2026, 1, 4, 23, tzinfo=timezone(timedelta(hours=-5)))
    got = resolve_window(
        start,
        start.add(hours=1),
        since=None,
        until=None,
        lookback=timedelta(hours=12),
        watermark=watermark,
    )
    assert got == (datetime(2026, 1, 4, 21, tzinfo=UTC), T)


def _event(data_end: str | None) -> SimpleNamespace:
    return SimpleNamespace(extra={"data_end": data_end} if data_end else {})


def test_run_data_end_prefers_the_data_interval():
    ctx = {"data_interval_end": pendulum.datetime(2026, 1, 5, 10, tz="UTC")}
    assert run_data_end(ctx) == T


def test_asset_triggered_run_ends_where_every_input_has_data():
    ctx = {
        "data_interval_end": None,
        "triggering_asset_events": {
            "raw.truck_telemetry": [_event("2026-01-05T08:00:00+00:00"), _event(T.isoformat())],
            "raw.haul_cycles": [_event("2026-01-05T11:00:00+00:00")],
            "raw.equipment": [_event(None)],
        },
    }
    assert run_data_end(ctx) == T


def test_manual_run_without_interval_or_stamps_ends_when_it_was_due():
    ctx = {"data_interval_end": None, "dag_run": SimpleNamespace(run_after=T)}
    assert run_data_end(ctx) == T
