"""Extract-and-load entry points shared by the DAGs and ``fuelopt extract`` (same code paths)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from fuelopt.config import get_settings
from fuelopt.errors import BadInput
from fuelopt.intervals import to_utc
from fuelopt.sources.tables import OPERATIONS_COLUMNS, TELEMETRY_COLUMNS

log = logging.getLogger(__name__)

TELEMETRY_SOURCE = "postgrest"
OPERATIONS_SOURCE = "sqlserver"


def resolve_window(
    interval_start: datetime,
    interval_end: datetime,
    *,
    since: datetime | None,
    until: datetime | None,
    lookback: timedelta,
    watermark: datetime | None,
) -> tuple[datetime, datetime]:
    """The ``[start, end)`` a run extracts and replaces.

    Manual ``since``/``until`` win as given. Otherwise: the data interval widened back by
    ``lookback`` (late rows), and back to the watermark when loads were missed (a gap).
    """
    interval_start = to_utc(interval_start, "interval_start")
    interval_end = to_utc(interval_end, "interval_end")
    since, until, watermark = to_utc(since, "since"), to_utc(until, "until"), to_utc(watermark, "")
    if since is not None or until is not None:
        start, end = since or interval_start, until or interval_end
    else:
        start, end = interval_start - lookback, interval_end
        if watermark is not None and watermark < start:
            log.info("watermark %s is before the window: catching up from it", watermark)
            start = watermark
    if start >= end:
        raise BadInput(f"since/until: empty window {start.isoformat()} .. {end.isoformat()}")
    return start, end


def watermark_of(source: str, table: str, uri: str | None = None) -> datetime | None:
    """The newest value of the table's watermark column loaded so far (None before any load)."""
    from fuelopt.warehouse.db import connect
    from fuelopt.warehouse.watermarks import get_watermark

    with connect(uri) as conn:
        return get_watermark(conn, source, table)


def _page_rows(pages: Iterator[Any]) -> Iterator[Any]:
    for page in pages:
        yield page.rows


T = TypeVar("T")


def prefetched(items: Iterator[T], depth: int) -> Iterator[T]:
    """``items`` made by a thread of their own up to ``depth`` ahead of the consumer (the next
    page is fetched while this one is loaded); ``depth`` 0: in the consumer, one at a time. An
    error of the producer is raised in the consumer; a consumer that stops stops the producer."""
    if depth <= 0:
        yield from items
        return
    ahead: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        end: tuple[bool, Any] = (False, None)
        try:
            for item in items:
                if not put((True, item)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            end = (False, exc)
        put(end)

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            more, value = ahead.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        thread.join()


def load_telemetry(
    interval_start: datetime,
    interval_end: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    uri: str | None = None,
    base_url: str | None = None,
    token: str | None = None,
    page_size: int | None = None,
    fmt: str | None = None,
) -> dict[str, Any]:
    """PostgREST -> ``raw.truck_telemetry`` for one window, in one transaction; ``fmt``
    (``csv`` or ``json``) overrides ``sources.postgrest.format``."""
    from fuelopt.sources.postgrest import reader_from_config
    from fuelopt.warehouse.loader import Interval, load_interval

    settings = get_settings().sources.postgrest
    table = "truck_telemetry"
    start, end = resolve_window(
        interval_start,
        interval_end,
        since=since,
        until=until,
        lookback=timedelta(hours=settings.lookback_hours),
        watermark=watermark_of(TELEMETRY_SOURCE, table, uri),
    )
    reader = reader_from_config(base_url, token, page_size, fmt)
    result = load_interval(
        table,
        TELEMETRY_COLUMNS,
        _page_rows(prefetched(reader.pages(start, end), settings.prefetch_pages)),
        source=TELEMETRY_SOURCE,
        interval=Interval("ts", start, end),
        uri=uri,
    )
    out = result.as_dict() | {"start": start.isoformat(), "end": end.isoformat()}
    return out | {"requests": reader.requests_sent}


def telemetry_to_file(
    since: datetime,
    until: datetime,
    out: Path,
    *,
    base_url: str | None = None,
    token: str | None = None,
) -> int:
    """``fuelopt extract telemetry``: rows ``since <= ts < until`` sorted by ts, truck_id
    (always read as JSON: the file writers take typed rows)."""
    from fuelopt.sources.files import check_out_path, write_pages
    from fuelopt.sources.postgrest import reader_from_config

    check_out_path(out)
    if since >= until:
        raise BadInput(f"--since/--until: empty window {since.isoformat()} .. {until.isoformat()}")
    reader = reader_from_config(base_url, token, fmt="json")
    return write_pages(out, TELEMETRY_COLUMNS, _page_rows(reader.pages(since, until)))


def _operations_query(
    table: str,
    since: datetime | None,
    until: datetime | None,
    dialect: str = "postgresql",
    *,
    with_mark: bool = False,
    missing: frozenset[str] = frozenset(),
):
    """The table's watermark column and its query; SQL Server gets naive UTC (datetime2);
    ``missing``: optional columns the source lacks, read as NULL."""
    from fuelopt.sources.sqlserver import build_query

    cfg = get_settings().sources.operations
    if table not in cfg.tables:
        raise BadInput(f"--table: {table!r} is not one of {', '.join(sorted(cfg.tables))}")
    if dialect == "mssql":
        since, until = (v and v.astimezone(UTC).replace(tzinfo=None) for v in (since, until))
    column = cfg.tables[table].watermark_column
    return column, build_query(
        table, cfg.db_schema, column, since, until, with_mark=with_mark, missing=missing
    )


def load_operations_table(
    table: str,
    interval_start: datetime,
    interval_end: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    uri: str | None = None,
) -> dict[str, Any]:
    """SQL Server -> ``raw.<table>``: the rows written or changed in the window (by the
    watermark column, ``modified_at``), upserted by the table's key; or a full snapshot."""
    from fuelopt.sources.sqlserver import KEYS, engine_for, iter_chunks, missing_optional_columns
    from fuelopt.warehouse.loader import Interval, load_interval

    settings = get_settings()
    cfg = settings.sources.operations
    column, _ = _operations_query(table, None, None)
    engine = engine_for(settings.connections.operations)
    if column is None:
        start = end = None
        interval = Interval(None)
    else:
        start, end = resolve_window(
            interval_start,
            interval_end,
            since=since,
            until=until,
            lookback=timedelta(hours=cfg.lookback_hours),
            watermark=watermark_of(OPERATIONS_SOURCE, table, uri),
        )
        interval = Interval(column, start, end, key=KEYS[table])
    try:
        missing = missing_optional_columns(engine, table, cfg.db_schema)
        _, query = _operations_query(
            table, start, end, engine.dialect.name, with_mark=column is not None, missing=missing
        )
        result = load_interval(
            table,
            OPERATIONS_COLUMNS[table],
            iter_chunks(engine, query, cfg.chunk_rows, cfg.query_timeout_seconds),
            source=OPERATIONS_SOURCE,
            interval=interval,
            uri=uri,
        )
    finally:
        engine.dispose()
    window = {"start": start and start.isoformat(), "end": end and end.isoformat()}
    return result.as_dict() | window


def operations_to_file(table: str, since: datetime | None, out: Path) -> int:
    """``fuelopt extract operations``: rows with watermark >= since (snapshot tables: all); the
    watermark column is written too when it is not a contract column (``modified_at``)."""
    from fuelopt.sources.files import check_out_path, write_pages
    from fuelopt.sources.sqlserver import engine_for, iter_chunks, missing_optional_columns

    check_out_path(out)
    settings = get_settings()
    cfg = settings.sources.operations
    column, _ = _operations_query(table, None, None)  # bad table name: exit 2 before connecting
    columns = OPERATIONS_COLUMNS[table]
    extra = column is not None and column not in columns
    engine = engine_for(settings.connections.operations)
    if column is None and since is not None:
        log.warning("%s is a snapshot table (no watermark column): --since ignored", table)
    try:
        missing = missing_optional_columns(engine, table, cfg.db_schema)
        _, query = _operations_query(
            table, since, None, engine.dialect.name, with_mark=extra, missing=missing
        )
        chunks = iter_chunks(engine, query, cfg.chunk_rows, cfg.query_timeout_seconds)
        return write_pages(out, (*columns, *([column] if extra else [])), chunks)
    finally:
        engine.dispose()
