"""Page parsing, error messages and window rules of the telemetry extractor (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from fuelopt.errors import BadInput
from fuelopt.intervals import to_utc
from fuelopt.sources.extract import prefetched, resolve_window
from fuelopt.sources.postgrest import (
    MalformedPage,
    TruncatedPage,
    _describe_error,
    _head,
    _parse_csv_page,
    _parse_page,
    _total,
    _trailing_group,
)
from fuelopt.sources.tables import TELEMETRY_COLUMNS

ROW = {
    "truck_id": "T01",
    "ts": "2026-01-05T00:00:00+00:00",
    "fuel_rate_lph": 120.5,
    "engine_load_pct": 60.0,
    "speed_kmh": 22.0,
    "payload_t": 210.0,
    "grade_pct": 8.0,
    "status": "hauling",
}


def response(body: bytes, status: int = 200, content_range: str | None = "0-0/*"):
    """A real requests.Response carrying what a server sent."""
    resp = requests.Response()
    resp.status_code, resp._content, resp.reason = status, body, "Reason"
    if content_range is not None:
        resp.headers["Content-Range"] = content_range
    return resp


def test_rows_come_back_in_contract_order_ignoring_extra_columns():
    body = json.dumps([{**ROW, "ingested_at": "x"}]).encode()
    assert _parse_page(1, response(body)) == [tuple(ROW[c] for c in TELEMETRY_COLUMNS)]


@pytest.mark.parametrize(
    ("body", "content_range", "message"),
    [
        (b"[{", "0-0/*", r"page 4: invalid JSON"),
        (b'{"a": 1}', "0-0/*", r"page 4: expected a JSON array, got dict"),
        (json.dumps([ROW, {k: v for k, v in ROW.items() if k != "grade_pct"}]).encode(),
         "0-1/*", r"page 4 row 1: missing column 'grade_pct'"),
        (b"[1]", "0-0/*", r"page 4 row 0: not a JSON object"),
        (json.dumps([ROW]).encode(), "0-4/*", r"page 4: 1 rows in the body but Content-Range"),
    ],
)  # fmt: skip
def test_malformed_pages_name_page_row_and_column(body, content_range, message):
    with pytest.raises(MalformedPage, match=message):
        _parse_page(4, response(body, content_range=content_range))


def test_empty_page_has_star_range_and_a_missing_header_is_tolerated():
    assert _parse_page(1, response(b"[]", content_range="*/0")) == []
    assert len(_parse_page(1, response(json.dumps([ROW]).encode(), content_range=None))) == 1


HEADER = b"truck_id,ts,fuel_rate_lph,engine_load_pct,speed_kmh,payload_t,grade_pct,status"
TS1, TS2 = b'"2026-01-05 00:00:00+00"', b'"2026-01-05 00:01:00+00"'
# PostgREST's record text: quotes where needed, "" inside quotes, backslashes doubled, nulls empty
CSV_ROWS = [
    b"T01," + TS1 + b',120.5,60,22,210,8,"say ""hi"", twice"',
    b"T02," + TS2 + b',,,,,,"back\\\\slash"',
    b"T03," + TS2 + b',1,2,3,4,5,"two\nlines"',
    b'"",' + TS2 + b",1,2,3,4,5,",
]


def csv_response(rows: list[bytes], content_range: str | None = None, header: bytes = HEADER):
    content_range = content_range or f"0-{len(rows) - 1}/*"
    return response(b"\n".join([header, *rows]), content_range=content_range)


def test_csv_page_is_checked_and_counted_never_decoded():
    page = _parse_csv_page(3, csv_response(CSV_ROWS))
    assert page.columns == TELEMETRY_COLUMNS and len(page) == 4  # one field holds a line break
    body = page.data[page.start : page.end]
    assert body.startswith(HEADER + b"\n") and b"back\\\\slash" not in body
    assert b'"back\\slash"' in body  # record text's doubled backslash undone for COPY
    reordered = b"ts,truck_id,fuel_rate_lph,engine_load_pct,speed_kmh,payload_t,grade_pct,status"
    page = _parse_csv_page(1, csv_response([TS1 + b",T01,1,2,3,4,5,x"], header=reordered))
    assert page.columns[:2] == ("ts", "truck_id")  # COPY takes the header's order
    empty = _parse_csv_page(1, response(b"\n", content_range="*/0"))  # PostgREST: no header
    assert len(empty) == 0
    unranged = response(b"\n".join([HEADER, *CSV_ROWS]), content_range=None)  # a proxy's doing
    assert len(_parse_csv_page(1, unranged)) == 4


@pytest.mark.parametrize(
    ("body", "content_range", "error", "message"),
    [
        (HEADER + b"\nT01," + TS1[:9], "0-0/*", TruncatedPage, r"page 4: CSV ends inside a quoted"),
        (b"\n".join([HEADER, *CSV_ROWS[:2]]), "0-2/*", TruncatedPage,
         r"page 4: 2 CSV rows in the body but Content-Range says '0-2/\*'"),
        (HEADER.replace(b",status", b"") + b"\nT01", "0-0/*", MalformedPage,
         r"page 4: CSV header has no column 'status'"),
        (HEADER + b",extra\nT01", "0-0/*", MalformedPage,
         r"page 4: CSV header has unknown column 'extra'"),
        (b"\nT01,x", "0-0/*", MalformedPage, r"page 4: CSV rows without a header line"),
    ],
)  # fmt: skip
def test_bad_csv_pages_name_page_and_column(body, content_range, error, message):
    with pytest.raises(error, match=message):
        _parse_csv_page(4, response(body, content_range=content_range))


def test_a_json_answer_to_a_csv_request_says_so():
    answer = response(json.dumps([ROW]).encode())
    answer.headers["Content-Type"] = "application/json; charset=utf-8"
    with pytest.raises(MalformedPage, match=r"page 2: expected text/csv, got application/json"):
        _parse_csv_page(2, answer)


def test_csv_trailing_ts_group_is_found_backwards_across_quoted_line_breaks():
    page = _parse_csv_page(1, csv_response(CSV_ROWS))
    last_ts, first = _trailing_group(page)
    assert (last_ts, first) == ("2026-01-05 00:01:00+00", 1)
    head = _head(page, first)
    assert len(head) == 1 and head.data[head.start : head.end] == HEADER + b"\n" + CSV_ROWS[0]
    first_row = tuple(ROW[c] for c in TELEMETRY_COLUMNS)
    later = (first_row[0], "2026-01-05T00:01:00+00:00", *first_row[2:])
    assert _trailing_group([first_row, later, later]) == (later[1], 1)


def test_prefetched_keeps_order_raises_the_producers_error_and_stops_with_the_consumer():
    assert list(prefetched(iter(range(10)), 2)) == list(range(10))
    assert list(prefetched(iter(range(3)), 0)) == [0, 1, 2]

    def failing():
        yield 1
        raise RuntimeError("page 2 broke")

    got = []
    with pytest.raises(RuntimeError, match="page 2 broke"):
        got.extend(prefetched(failing(), 1))
    assert got == [1]

    produced = []

    def endless():
        for i in range(10_000):
            produced.append(i)
            yield i

    items = prefetched(endless(), 1)
    assert next(items) == 0
    items.close()  # the consumer stops: the producer stops too, a page or two ahead at most
    assert len(produced) <= 4


def test_error_quotes_postgrest_code_message_details_and_hint():
    body = {"code": "PGRST100", "message": "failed to parse filter", "details": "unexpected x",
            "hint": "use gte"}  # fmt: skip
    text = _describe_error(response(json.dumps(body).encode(), status=400))
    assert text == "400 PGRST100: failed to parse filter (unexpected x; hint: use gte)"
    assert _describe_error(response(b"<html>bad gateway", status=404)).startswith("404 Reason")


def test_total_from_content_range():
    assert _total("0-24/3573458") == 3573458
    assert _total("0-24/*") is None and _total("*/0") == 0 and _total(None) is None


H = timedelta(hours=1)
T = datetime(2026, 1, 5, 10, tzinfo=UTC)


def test_scheduled_window_looks_back_and_catches_up_from_an_old_watermark():
    kw = {"since": None, "until": None, "lookback": 3 * H}
    assert resolve_window(T, T + H, watermark=None, **kw) == (T - 3 * H, T + H)
    assert resolve_window(T, T + H, watermark=T - H, **kw) == (T - 3 * H, T + H)
    assert resolve_window(T, T + H, watermark=T - 30 * H, **kw) == (T - 30 * H, T + H)


def test_manual_window_wins_and_empty_window_is_bad_input():
    kw = {"lookback": 3 * H, "watermark": T - 30 * H}
    assert resolve_window(T, T + H, since=T - 48 * H, until=T, **kw) == (T - 48 * H, T)
    with pytest.raises(BadInput, match="since/until: empty window"):
        resolve_window(T, T + H, since=T, until=T, **kw)


def test_parse_timestamp_assumes_utc_and_names_the_field():
    assert to_utc("2026-01-05T10:00:00", "--since") == T
    assert to_utc("2026-01-05T12:00:00+02:00", "--since") == T
    assert to_utc("2026-01-05T10:00:00Z", "--since") == T
    with pytest.raises(BadInput, match="--until: not an ISO 8601 timestamp"):
        to_utc("tomorrow", "--until")
