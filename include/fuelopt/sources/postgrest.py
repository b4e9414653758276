"""Telemetry from PostgREST: keyset-paged, retried, checked, streamed one page at a time.

Connection: an Airflow connection of type ``http`` (id ``connections.telemetry_api``) whose
host/port give the base URL (``schema`` field ``https`` for TLS) and whose **password** holds
the bearer token (login unused). Example: ``AIRFLOW_CONN_FUELOPT_POSTGREST=http://:TOKEN@host:3000``.

Paging: every request filters ``ts=gte.<cursor>`` and ``ts=lt.<end>``, orders ``ts,truck_id``
and asks ``limit=<page_size>`` rows (keyset pagination, never deep offsets). A full page's
trailing rows that share its last ``ts`` are held back and re-read by the next request
(``ts=gte.<last ts>``), so a timestamp group is never split across pages: duplicates and null
truck ids in the source are kept exactly. A page made of one single ``ts`` group is completed
with one ``ts=eq.`` request and the cursor moves past it (``ts=gt.``).

Format (``sources.postgrest.format``): ``csv`` asks ``Accept: text/csv`` and hands each page's
bytes to the loader's COPY untouched (no row is decoded in Python: only the header, the row count
and the trailing ``ts`` group are looked at); ``json`` decodes rows (the fallback). PostgREST
writes each CSV row as PostgreSQL's record text (``(a,"b c")`` without its parentheses): RFC 4180
quoting, nulls as empty unquoted fields, empty strings as ``""``, and backslashes doubled inside
quotes, which :func:`_parse_csv_page` undoes.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import operator
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
import tenacity
from airflow.providers.http.hooks.http import HttpHook
from requests.auth import AuthBase

from fuelopt.errors import SourceUnavailable
from fuelopt.sources.deadlines import DeadlineAdapter, LoadDeadline, request_deadline
from fuelopt.sources.settings import PostgrestSettings, RetrySettings
from fuelopt.sources.tables import TELEMETRY_COLUMNS
from fuelopt.warehouse.loader import CsvRows

log = logging.getLogger(__name__)

ORDER = "ts.asc,truck_id.asc"
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}
_PICK = operator.itemgetter(*TELEMETRY_COLUMNS)  # row dict -> tuple in contract order
TS_INDEX = TELEMETRY_COLUMNS.index("ts")


class PostgrestRequestError(RuntimeError):
    """PostgREST refused a request (4xx); the message quotes its code, message and hint."""


class MalformedPage(RuntimeError):
    """A page that is not the JSON array of rows it should be; names the page and column."""


class TruncatedPage(MalformedPage):
    """A page whose body is not complete JSON (a proxy or the network cut it short): it is
    requested again, like any transient failure."""


class RowCountMismatch(RuntimeError):
    """Fewer rows were read than PostgREST's exact count (Content-Range total) announced."""


class _Transient(Exception):
    """A response worth retrying (5xx); carries its description for the final error."""


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class PostgrestHook(HttpHook):
    """HttpHook for PostgREST: base URL from the connection, bearer token from its password."""

    conn_type = "http"
    hook_name = "PostgREST"

    def __init__(self, http_conn_id: str, **kwargs: Any) -> None:
        super().__init__(method="GET", http_conn_id=http_conn_id, **kwargs)

    def _extract_auth(self, connection: Any) -> AuthBase | None:
        return BearerAuth(connection.password) if connection.password else None

    def session(self) -> tuple[requests.Session, str]:
        """A configured session and the base URL."""
        session = self.get_conn()
        return session, self.base_url.rstrip("/")


Rows = list[tuple] | CsvRows


@dataclass(frozen=True)
class Page:
    """One page, numbered from 1: rows as tuples in TELEMETRY_COLUMNS order (json) or as CSV
    text with its header (csv)."""

    number: int
    rows: Rows


def session_for(
    base_url: str | None, token: str | None, conn_id: str
) -> tuple[requests.Session, str]:
    """The session and base URL; each of URL and token defaults to the Airflow connection's."""
    if not base_url:
        session, url = PostgrestHook(http_conn_id=conn_id).session()
    else:
        session, url = requests.Session(), base_url.rstrip("/")
        if token is None:
            token = _connection_token(conn_id)
    if token:
        session.auth = BearerAuth(token)
    for prefix in ("http://", "https://"):
        session.mount(prefix, DeadlineAdapter())
    return session, url


def _connection_token(conn_id: str) -> str | None:
    """The connection's password (bearer token), or None when the connection is not defined."""
    from airflow.sdk import Connection

    try:
        return Connection.get(conn_id).password or None
    except Exception:  # no such connection: an explicit --base-url needs no token
        log.info("connection %s not found: no bearer token", conn_id)
        return None


def iso(value: datetime) -> str:
    """A timestamp as PostgREST filters expect it (ISO 8601 with offset)."""
    if value.tzinfo is None:
        raise ValueError(f"timestamp {value} has no time zone")
    return value.isoformat()


class TelemetryReader:
    """Reads ``since <= ts < until`` from PostgREST as a stream of pages."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        settings: PostgrestSettings,
        page_size: int | None = None,
        fmt: str | None = None,
    ) -> None:
        self.session, self.base_url, self.settings = session, base_url, settings
        self.page_size = page_size or settings.page_size
        self.format = fmt or settings.format
        if self.format not in MEDIA_TYPES:
            raise ValueError(f"format {self.format!r}: expected one of {', '.join(MEDIA_TYPES)}")
        self.url = f"{base_url}/{settings.table}"
        self.requests_sent = 0
        self.rows_read = 0
        self.total: int | None = None
        self.deadline = LoadDeadline(settings.load_timeout_seconds, f"PostgREST {self.url}")

    def pages(self, since: datetime, until: datetime) -> Iterator[Page]:
        """Pages in ``ts, truck_id`` order, each row once; checks the exact count at the end.

        The whole read must end within ``load_timeout_seconds`` of this call."""
        self.deadline = LoadDeadline(self.settings.load_timeout_seconds, f"PostgREST {self.url}")
        start, end = iso(since), iso(until)
        cursor, cursor_op, number = start, "gte", 0
        while True:
            number += 1
            count = number == 1 and self.settings.count_exact
            rows, total = self._fetch(
                number,
                [("ts", f"{cursor_op}.{cursor}"), ("ts", f"lt.{end}"), ("limit", self.page_size)],
                count=count,
            )
            if count:
                self.total = total
                if total is not None and len(rows) < min(total, self.page_size):
                    raise MalformedPage(
                        f"page 1: server returned {len(rows)} of {total} rows for a page of "
                        f"{self.page_size}: it caps responses (PostgREST db-max-rows?); set "
                        "sources.postgrest.page_size at or below that cap"
                    )
            if len(rows) < self.page_size:
                yield from self._emit(number, rows)
                break
            last_ts, first = _trailing_group(rows)
            if first > 0:
                yield from self._emit(number, _head(rows, first))  # the rest is re-read whole
                cursor, cursor_op = last_ts, "gte"
            else:
                log.warning("page %d is one ts group (%s): reading it whole", number, last_ts)
                del rows
                number += 1
                group, _ = self._fetch(number, [("ts", f"eq.{last_ts}")], count=False)
                yield from self._emit(number, group)
                cursor, cursor_op = last_ts, "gt"
        self._check_total()

    def _emit(self, number: int, rows: Rows) -> Iterator[Page]:
        self.rows_read += len(rows)
        if rows:
            yield Page(number, rows)

    def _check_total(self) -> None:
        if self.total is None:
            return
        if self.rows_read < self.total:
            raise RowCountMismatch(
                f"read {self.rows_read} rows but PostgREST's Content-Range total was {self.total}"
            )
        if self.rows_read > self.total:
            log.warning(
                "read %d rows, %d more than counted at the start: rows arrived during extraction",
                self.rows_read,
                self.rows_read - self.total,
            )

    def _fetch(
        self, number: int, filters: Sequence[tuple[str, Any]], *, count: bool
    ) -> tuple[Rows, int | None]:
        params = [("select", ",".join(TELEMETRY_COLUMNS)), *filters, ("order", ORDER)]
        headers = {"Accept": MEDIA_TYPES[self.format]}
        if count:
            headers["Prefer"] = "count=exact"
        return self._with_retry(number, filters, lambda: self._get_page(number, params, headers))

    def _get_page(
        self, number: int, params: list[tuple[str, Any]], headers: dict[str, str]
    ) -> tuple[Rows, int | None]:
        response = self._get(number, params, headers)
        parse = _parse_csv_page if self.format == "csv" else _parse_page
        return parse(number, response), _total(response.headers.get("Content-Range"))

    def _with_retry(
        self,
        number: int,
        filters: Sequence[tuple[str, Any]],
        request: Callable[[], tuple[Rows, int | None]],
    ) -> tuple[Rows, int | None]:
        """``request()`` (one page) with ``sources.postgrest.retry``; the final error names the
        page and its rows (the page's filters)."""
        retry: RetrySettings = self.settings.retry
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(
                (
                    _Transient,
                    TruncatedPage,  # a body cut short by a proxy or the network
                    requests.ConnectionError,  # refused, reset
                    requests.Timeout,
                    requests.exceptions.ChunkedEncodingError,  # reset in the middle of a body
                )
            ),
            wait=tenacity.wait_random_exponential(
                multiplier=retry.initial_seconds, max=retry.max_seconds
            ),
            stop=tenacity.stop_after_attempt(retry.attempts),
            sleep=lambda s: time.sleep(min(s, self.deadline.remaining(f"page {number}"))),
            before_sleep=lambda state: log.warning(
                "page %d: attempt %d failed (%s); retrying",
                number,
                state.attempt_number,
                state.outcome.exception() if state.outcome else "?",
            ),
        )
        try:
            return retrying(request)
        except tenacity.RetryError as exc:
            last = exc.last_attempt.exception()
            rows = "&".join(f"{key}={value}" for key, value in filters)
            if isinstance(last, TruncatedPage):
                raise MalformedPage(
                    f"PostgREST {self.url} page {number} ({rows}): cut short in each of "
                    f"{retry.attempts} attempts; last: {last}"
                ) from None
            raise SourceUnavailable(
                f"PostgREST {self.url} page {number}: still failing after {retry.attempts} "
                f"attempts ({rows}); last response: {last}"
            ) from None

    def _get(
        self, number: int, params: list[tuple[str, Any]], headers: dict[str, str]
    ) -> requests.Response:
        cfg = self.settings
        seconds = min(cfg.request_timeout_seconds, self.deadline.remaining(f"page {number}"))
        self.requests_sent += 1
        response = None
        with request_deadline(seconds) as watch:
            try:
                response = self.session.get(
                    self.url,
                    params=params,
                    headers=headers,
                    timeout=(cfg.connect_timeout_seconds, cfg.read_timeout_seconds),
                    stream=True,
                )
                _ = response.content  # the whole body, under the deadline
            except requests.RequestException:
                if not watch.fired:
                    raise
        if watch.fired or response is None:
            if response is not None:
                response.close()  # its socket is shut down: never back into the pool
            raise _Transient(
                f"no complete response within {seconds:g} s "
                "(sources.postgrest.request_timeout_seconds / load_timeout_seconds)"
            )
        if response.status_code >= 500:
            raise _Transient(f"{response.status_code} {response.reason}: {response.text[:300]}")
        if response.status_code >= 400:
            raise PostgrestRequestError(
                f"PostgREST {self.url} page {number}: {_describe_error(response)}"
            )
        return response


def _describe_error(response: requests.Response) -> str:
    """``400 PGRST100: message (details; hint: ...)`` from PostgREST's JSON error body."""
    head = f"{response.status_code} {response.reason}"
    try:
        body = response.json()
    except ValueError:
        return f"{head}: {response.text[:300]}"
    if not isinstance(body, dict):
        return f"{head}: {response.text[:300]}"
    text = f"{response.status_code} {body.get('code')}: {body.get('message')}"
    extras = [str(body["details"])] if body.get("details") else []
    if body.get("hint"):
        extras.append(f"hint: {body['hint']}")
    return f"{text} ({'; '.join(extras)})" if extras else text


def _parse_page(number: int, response: requests.Response) -> list[tuple]:
    """Rows of one page as tuples; a clear error naming the page, row and column otherwise."""
    try:
        data = json.loads(response.content)
    except ValueError as exc:
        raise TruncatedPage(f"page {number}: invalid JSON: {exc}") from None
    if not isinstance(data, list):
        raise MalformedPage(f"page {number}: expected a JSON array, got {type(data).__name__}")
    try:
        rows = list(map(_PICK, data))
    except (KeyError, TypeError):
        rows = []
        for i, item in enumerate(data):  # find the culprit for the message
            if not isinstance(item, dict):
                raise MalformedPage(f"page {number} row {i}: not a JSON object") from None
            missing = [c for c in TELEMETRY_COLUMNS if c not in item]
            if missing:
                raise MalformedPage(
                    f"page {number} row {i}: missing column {missing[0]!r}"
                ) from None
        raise
    _check_range(number, response.headers.get("Content-Range"), len(rows))
    return rows


def _parse_csv_page(number: int, response: requests.Response) -> CsvRows:
    """A ``text/csv`` page as it will go to COPY: header checked against TELEMETRY_COLUMNS
    (an unknown or missing column is named), rows counted and checked against Content-Range
    (a body cut short is requested again), no field decoded."""
    media = response.headers.get("Content-Type", "text/csv").split(";")[0].strip()
    if media != "text/csv":
        raise MalformedPage(
            f"page {number}: expected text/csv, got {media} (a proxy ignoring Accept? "
            "sources.postgrest.format: json reads JSON)"
        )
    data = response.content
    if b"\\" in data:  # record text doubles each backslash inside quotes; RFC 4180 does not
        data = data.replace(b"\\\\", b"\\")
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    if data.count(b'"', 0, end) % 2:
        raise TruncatedPage(f"page {number}: CSV ends inside a quoted field")
    newline = data.find(b"\n", 0, end)
    header = data[: newline if newline >= 0 else end].decode()
    if not header:  # PostgREST's empty result: an empty header line and no rows
        if data[:end].strip():
            raise MalformedPage(f"page {number}: CSV rows without a header line")
        _check_range(number, response.headers.get("Content-Range"), 0)
        return CsvRows(TELEMETRY_COLUMNS, b"", 0, 0, 0)
    columns = tuple(next(csv.reader([header])))
    for column in columns:
        if column not in TELEMETRY_COLUMNS:
            raise MalformedPage(f"page {number}: CSV header has unknown column {column!r}")
    for column in TELEMETRY_COLUMNS:
        if column not in columns:
            raise MalformedPage(f"page {number}: CSV header has no column {column!r}")
    body = newline + 1 if newline >= 0 else end
    count = data.count(b"\n", body, end) + 1 if body < end else 0
    expected = _range_rows(number, response.headers.get("Content-Range"))
    if count != expected:  # a field holding a line break, or no Content-Range to go by
        count = _count_records(data[body:end])
    if expected is not None and count != expected:
        raise TruncatedPage(
            f"page {number}: {count} CSV rows in the body but Content-Range says "
            f"{response.headers.get('Content-Range')!r}"
        )
    return CsvRows(columns, data, 0, end, count)


def _count_records(data: bytes) -> int:
    """CSV records in ``data``, line breaks inside quoted fields being part of their field."""
    return sum(1 for _ in csv.reader(io.StringIO(data.decode(), newline="")))


def _trailing_group(rows: Rows) -> tuple[str, int]:
    """The last row's ``ts`` and the index of the first row of the trailing run sharing it."""
    if isinstance(rows, CsvRows):
        return _csv_trailing_group(rows)
    last_ts = rows[-1][TS_INDEX]
    first = len(rows) - 1
    while first > 0 and rows[first - 1][TS_INDEX] == last_ts:
        first -= 1
    return last_ts, first


def _head(rows: Rows, first: int) -> Rows:
    """The first ``first`` rows."""
    if not isinstance(rows, CsvRows):
        del rows[first:]
        return rows
    end, index = rows.end, rows.count
    while index > first:
        end = _record_start(rows, end) - 1  # the line break before the record
        index -= 1
    return CsvRows(rows.columns, rows.data, rows.start, end, first)


def _record_start(rows: CsvRows, end: int) -> int:
    """Where the record ending at ``end`` starts: after the last line break before ``end``
    that is not inside a quoted field (the quotes from there to ``end`` are even)."""
    data = rows.data
    start = data.rfind(b"\n", rows.start, end) + 1
    while data.count(b'"', start, end) % 2:
        start = data.rfind(b"\n", rows.start, start - 1) + 1
    return start


def _csv_trailing_group(rows: CsvRows) -> tuple[str, int]:
    ts_at = rows.columns.index("ts")

    def ts_of(start: int, end: int) -> str:
        record = rows.data[start:end].decode()
        return next(csv.reader(io.StringIO(record, newline="")))[ts_at]

    end = rows.end
    start = _record_start(rows, end)
    last_ts, first = ts_of(start, end), rows.count - 1
    while first > 0:
        end = start - 1
        start = _record_start(rows, end)
        if ts_of(start, end) != last_ts:
            break
        first -= 1
    return last_ts, first


def _range_rows(number: int, header: str | None) -> int | None:
    """Rows a Content-Range announces (None without the header)."""
    if header is None:  # PostgREST always sends it; tolerate proxies that strip it
        log.debug("page %d: no Content-Range header", number)
        return None
    span = header.split("/", 1)[0].strip()
    if span == "*":
        return 0
    try:
        first, last = (int(x) for x in span.split("-", 1))
    except ValueError:
        raise MalformedPage(f"page {number}: bad Content-Range {header!r}") from None
    return last - first + 1


def _check_range(number: int, header: str | None, n_rows: int) -> None:
    got = _range_rows(number, header)
    if got is not None and got != n_rows:
        raise MalformedPage(
            f"page {number}: {n_rows} rows in the body but Content-Range says {header!r}"
        )


def _total(header: str | None) -> int | None:
    if not header or "/" not in header:
        return None
    total = header.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


def reader_from_config(
    base_url: str | None = None,
    token: str | None = None,
    page_size: int | None = None,
    fmt: str | None = None,
) -> TelemetryReader:
    """A reader with the configured settings and connection (or an explicit URL/token); ``fmt``
    overrides ``sources.postgrest.format``."""
    from fuelopt.config import get_settings

    settings = get_settings()
    session, url = session_for(base_url, token, settings.connections.telemetry_api)
    return TelemetryReader(session, url, settings.sources.postgrest, page_size, fmt)
