"""Which week and shift a report is about: ISO weeks, the weekly DAG's week, the previous shift."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fuelopt.errors import BadInput
from fuelopt.reports.data import parse_week, previous_shift, week_of
from fuelopt.reports.jobs import check_out, report_week


@pytest.mark.parametrize(
    ("week", "monday"),
    [("2026-W01", date(2025, 12, 29)), ("2026-W09", date(2026, 2, 23)), ("2027-W53", None)],
)
def test_iso_weeks_round_trip(week, monday):
    if monday is None:  # 2027 has 52 ISO weeks
        with pytest.raises(BadInput, match="2027-W53"):
            parse_week(week)
        return
    assert parse_week(week) == monday and week_of(monday) == week


@pytest.mark.parametrize("bad", ["2026-9", "2026-W9", "W09-2026", "", "2026-W00"])
def test_bad_weeks_are_bad_input_naming_the_option(bad):
    with pytest.raises(BadInput, match="--week"):
        parse_week(bad)


def test_the_monday_tick_reports_the_week_that_ended():
    assert report_week(datetime(2026, 3, 2, 6, tzinfo=UTC)) == "2026-W09"  # Monday 06:00
    assert report_week(datetime(2026, 2, 26, 12, tzinfo=UTC)) == "2026-W09"  # mid-week


def test_previous_shift_crosses_midnight():
    assert previous_shift(date(2026, 1, 9), "day") == (date(2026, 1, 8), "night")
    assert previous_shift(date(2026, 1, 9), "night") == (date(2026, 1, 9), "day")


@pytest.mark.parametrize(("fmt", "out"), [("pdf", "r.xlsx"), ("xlsx", "r"), ("csv", "r.csv")])
def test_output_must_match_the_format(fmt, out):
    with pytest.raises(BadInput):
        check_out(fmt, out)
