"""DEV-ONLY STAND-IN for PostgREST: serves tables of one PostgreSQL schema over HTTP.

PostgREST itself cannot be installed here (compose runs the official image), so local runs and
tests use this small server. It implements only the subset of PostgREST's documented read API
that the extractor uses, with PostgREST's own status codes, headers and error bodies:

- ``GET /<table>``; ``select=a,b``; filters ``col=[not.]op.value`` with ``eq, neq, gt, gte, lt,
  lte, in, is``; ``order=col[.asc|.desc][.nullsfirst|.nullslast],...``; ``limit``/``offset``;
- the ``Range: first-[last]`` request header; ``Prefer: count=exact``;
- ``Content-Range`` on every response (``0-24/*``, ``*/0``, ``0-24/100``), 200/206/416;
- ``Accept: text/csv`` answered as PostgREST builds it (the same SQL): a header line of the
  column names, then each row as PostgreSQL's record text without its parentheses (RFC 4180
  quoting, nulls as empty unquoted fields, empty strings as ``""``, backslashes doubled inside
  quotes), no final line break; an empty result is one empty line. JSON otherwise;
- errors as ``{"code", "message", "details", "hint"}`` (PGRST100 bad filter or order, PGRST103
  unsatisfiable range, PGRST205 unknown table, PostgreSQL SQLSTATEs such as 42703);
- bearer-token auth when started with ``--token`` (401 without or with a wrong token).

``tests/integration/test_postgrest_conformance.py`` runs the same expectations against this
stand-in and, when ``FUELOPT_POSTGREST_URL`` is set, against a real PostgREST, so the two cannot
drift apart unnoticed. Never deploy it: production uses PostgREST.

Start it: ``python -m fuelopt.sources.postgrest_standin --db-url URL --port P [--token T]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

OPERATORS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
IS_VALUES = {"null": sql.SQL("NULL"), "true": sql.SQL("TRUE"), "false": sql.SQL("FALSE")}
RESERVED = {"select", "order", "limit", "offset", "and", "or", "on_conflict", "columns"}
RANGE_RE = re.compile(r"^(\d+)-(\d*)$")
ORDER_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\.(asc|desc))?(\.(nullsfirst|nullslast))?$")

# A test hook: given (request number, path, query) it may return (status, body, headers) to send
# instead of the real answer (used by tests to inject 503s and malformed pages); status
# DROP_CONNECTION closes the connection without answering (a reset as the client sees it).
DROP_CONNECTION = 0
FaultHook = Callable[[int, str, str], tuple[int, bytes, dict[str, str]] | None]


class ApiError(Exception):
    """An error answered as PostgREST's JSON error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.hint = details, hint
        self.content_range = "*/*"

    def body(self) -> bytes:
        payload = {
            "code": self.code,
            "details": self.details,
            "hint": self.hint,
            "message": self.message,
        }
        return json.dumps(payload).encode()


@dataclass
class Query:
    """A parsed read request."""

    table: str
    columns: list[str]
    where: list[sql.Composable] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order: list[sql.Composable] = field(default_factory=list)
    offset: int = 0
    limit: int | None = None
    count: bool = False
    csv: bool = False


class StandinServer(ThreadingHTTPServer):
    """The HTTP server; holds the database pool, the schema cache and the options."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        db_url: str,
        db_schema: str,
        token: str | None = None,
        max_rows: int | None = None,
        pool_size: int = 4,
    ) -> None:
        super().__init__(address, Handler)
        self.db_url, self.db_schema, self.token, self.max_rows = db_url, db_schema, token, max_rows
        self.fault_hook: FaultHook | None = None
        self._requests = 0
        self._lock = threading.Lock()
        self._pool: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._pool_size = pool_size
        self._schema_cache: dict[str, list[str]] = {}

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def next_request_number(self) -> int:
        with self._lock:
            self._requests += 1
            return self._requests

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = psycopg.connect(self.db_url, autocommit=True)
            conn.execute("SET TIME ZONE 'UTC'")
        try:
            yield conn
        except psycopg.OperationalError:
            conn.close()
            raise
        else:
            if self._pool.qsize() < self._pool_size:
                self._pool.put(conn)
            else:
                conn.close()

    def table_columns(self, table: str) -> list[str] | None:
        """Columns of ``table`` in the exposed schema (the schema cache, refreshed on a miss)."""
        if table not in self._schema_cache:
            with self.connection() as conn:
                rows = conn.execute(
                    """SELECT table_name, column_name FROM information_schema.columns
                       WHERE table_schema = %s ORDER BY table_name, ordinal_position""",
                    (self.db_schema,),
                ).fetchall()
            cache: dict[str, list[str]] = {}
            for name, column in rows:
                cache.setdefault(name, []).append(column)
            self._schema_cache = cache
        return self._schema_cache.get(table)

    def server_close(self) -> None:
        super().server_close()
        while not self._pool.empty():
            self._pool.get_nowait().close()


class Handler(BaseHTTPRequestHandler):
    server: StandinServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        number = self.server.next_request_number()
        parts = urlsplit(self.path)
        if self.server.fault_hook is not None:
            fault = self.server.fault_hook(number, parts.path, parts.query)
            if fault is not None and fault[0] == DROP_CONNECTION:
                self.close_connection = True
                return
            if fault is not None:
                self._send(*fault)
                return
        try:
            self._authorize()
            status, body, headers = self._read(parts.path, parts.query)
        except ApiError as err:
            headers = {"Content-Range": err.content_range}
            if err.status == HTTPStatus.UNAUTHORIZED:
                headers["WWW-Authenticate"] = "Bearer"
            status, body = err.status, err.body()
        self._send(status, body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _authorize(self) -> None:
        token = self.server.token
        if not token:
            return
        given = self.headers.get("Authorization", "")
        if not given:
            raise ApiError(401, "PGRST302", "Anonymous access is disabled")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or value.strip() != token:
            raise ApiError(401, "PGRST301", "No suitable key or wrong key type")

    def _read(self, path: str, query_string: str) -> tuple[int, bytes, dict[str, str]]:
        query = self._parse(path, query_string)
        with self.server.connection() as conn:
            total = None
            if query.count:
                total = self._count(conn, query)
            if total is not None and query.offset > total:
                err = ApiError(
                    416,
                    "PGRST103",
                    "Requested range not satisfiable",
                    f"An offset of {query.offset} was requested, but there are only {total} rows.",
                )
                err.content_range = f"*/{total}"
                raise err
            body, returned = self._select(conn, query)
        upper = query.offset + returned - 1
        if total != 0 and query.offset <= upper:
            content_range = f"{query.offset}-{upper}/{'*' if total is None else total}"
        else:
            content_range = f"*/{'*' if total is None else total}"
        status = 200
        if total is not None and returned < total:
            status = 206
        media = "text/csv" if query.csv else "application/json"
        headers = {"Content-Type": f"{media}; charset=utf-8", "Content-Range": content_range}
        return status, body, headers | {"Range-Unit": "items"}

    def _parse(self, path: str, query_string: str) -> Query:
        table = unquote(path.strip("/"))
        columns = self.server.table_columns(table)
        if columns is None:
            schema = self.server.db_schema
            raise ApiError(
                404,
                "PGRST205",
                f"Could not find the table '{schema}.{table}' in the schema cache",
            )
        query = Query(table=table, columns=list(columns))
        offset, limit = self._range_header()
        for key, value in parse_qsl(query_string, keep_blank_values=True):
            if key == "select":
                query.columns = self._select_list(table, columns, value)
            elif key == "order":
                query.order = self._order(table, columns, value)
            elif key == "limit":
                limit = self._non_negative(key, value)
            elif key == "offset":
                offset = self._non_negative(key, value)
            elif key in RESERVED:
                raise ApiError(400, "PGRST100", f'"failed to parse {key} ({value})"')
            else:
                self._filter(query, table, columns, key, value)
        if self.server.max_rows is not None:
            limit = self.server.max_rows if limit is None else min(limit, self.server.max_rows)
        query.offset, query.limit = offset, limit
        prefer = self.headers.get("Prefer", "")
        query.count = any(p.strip() == "count=exact" for p in prefer.split(","))
        query.csv = wants_csv(self.headers.get("Accept", ""))
        return query

    def _range_header(self) -> tuple[int, int | None]:
        header = self.headers.get("Range")
        if not header:
            return 0, None
        match = RANGE_RE.match(header.strip())
        if match is None:
            return 0, None  # PostgREST ignores a Range it cannot parse
        lower = int(match.group(1))
        if not match.group(2):
            return lower, None
        upper = int(match.group(2))
        if upper < lower:
            raise ApiError(
                416,
                "PGRST103",
                "Requested range not satisfiable",
                f"The requested range {header.strip()} has its upper bound below its lower bound.",
            )
        return lower, upper - lower + 1

    @staticmethod
    def _non_negative(key: str, value: str) -> int:
        if not value.isdigit():
            raise ApiError(400, "PGRST100", f'"failed to parse {key} ({value})"')
        return int(value)

    @staticmethod
    def _unknown_column(table: str, column: str) -> ApiError:
        return ApiError(400, "42703", f"column {table}.{column} does not exist")

    def _select_list(self, table: str, columns: list[str], value: str) -> list[str]:
        chosen = []
        for name in (v.strip() for v in value.split(",")):
            if name == "*":
                chosen.extend(columns)
            elif not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ApiError(400, "PGRST100", f'"failed to parse select parameter ({value})"')
            elif name not in columns:
                raise self._unknown_column(table, name)
            else:
                chosen.append(name)
        return chosen

    def _order(self, table: str, columns: list[str], value: str) -> list[sql.Composable]:
        terms = []
        for term in value.split(","):
            match = ORDER_RE.match(term.strip())
            if match is None:
                raise ApiError(400, "PGRST100", f'"failed to parse order ({value})"')
            name, direction, nulls = match.group(1), match.group(3), match.group(5)
            if name not in columns:
                raise self._unknown_column(table, name)
            text = " DESC" if direction == "desc" else " ASC"
            if nulls:
                text += " NULLS FIRST" if nulls == "nullsfirst" else " NULLS LAST"
            terms.append(sql.Composed([sql.Identifier(name), sql.SQL(text)]))
        return terms

    def _filter(self, query: Query, table: str, columns: list[str], key: str, value: str) -> None:
        if key not in columns:
            raise self._unknown_column(table, key)
        negate = value.startswith("not.")
        body = value[4:] if negate else value
        operator, dot, operand = body.partition(".")
        column = sql.Identifier(key)
        if not dot:
            raise ApiError(400, "PGRST100", f'"failed to parse filter ({value})"')
        if operator in OPERATORS:
            clause = sql.SQL("{} {} %s").format(column, sql.SQL(OPERATORS[operator]))
            query.params.append(operand)
        elif operator == "in":
            items = _in_list(operand)
            if items is None:
                raise ApiError(400, "PGRST100", f'"failed to parse filter ({value})"')
            clause = sql.SQL("{} = ANY(%s)").format(column)
            query.params.append(items)
        elif operator == "is" and operand in IS_VALUES:
            clause = sql.SQL("{} IS {}").format(column, IS_VALUES[operand])
        else:
            raise ApiError(400, "PGRST100", f'"failed to parse filter ({value})"')
        query.where.append(sql.SQL("NOT ({})").format(clause) if negate else clause)

    def _from_where(self, query: Query) -> sql.Composed:
        where = sql.SQL(" AND ").join(query.where) if query.where else sql.SQL("TRUE")
        return sql.SQL("FROM {}.{} WHERE {}").format(
            sql.Identifier(self.server.db_schema), sql.Identifier(query.table), where
        )

    def _count(self, conn: psycopg.Connection, query: Query) -> int:
        statement = sql.SQL("SELECT count(*) {}").format(self._from_where(query))
        return int(_execute(conn, statement, query.params).fetchone()[0])

    def _select(self, conn: psycopg.Connection, query: Query) -> tuple[bytes, int]:
        inner = sql.SQL("SELECT {} {}{}{} OFFSET {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in query.columns),
            self._from_where(query),
            sql.SQL(" ORDER BY ") + sql.SQL(", ").join(query.order) if query.order else sql.SQL(""),
            sql.SQL(" LIMIT {}").format(sql.Literal(query.limit))
            if query.limit is not None
            else sql.SQL(""),
            sql.Literal(query.offset),
        )
        statement = (CSV_BODY if query.csv else JSON_BODY).format(inner)
        body, returned = _execute(conn, statement, query.params).fetchone()
        return body.encode(), int(returned)


JSON_BODY = sql.SQL("SELECT coalesce(json_agg(t), '[]')::text, count(t) FROM ({}) AS t")
# PostgREST's own CSV body (asCsvF in its SqlFragment.hs): the first row's keys, then each row's
# record text without the enclosing parentheses.
CSV_BODY = sql.SQL(
    """WITH pgrst_source AS ({})
    SELECT (SELECT coalesce(string_agg(a.k, ','), '')
            FROM (SELECT json_object_keys(r)::text AS k
                  FROM (SELECT row_to_json(hh) AS r FROM pgrst_source AS hh LIMIT 1) s) a)
        || E'\\n'
        || coalesce(string_agg(substring(t::text, 2, length(t::text) - 2), E'\\n'), ''),
        count(t)
    FROM pgrst_source AS t"""
)


def _execute(conn: psycopg.Connection, statement: sql.Composable, params: list[Any]) -> Any:
    """Run a statement, turning PostgreSQL errors into PostgREST's 400 error body."""
    try:
        return conn.execute(statement, params)
    except psycopg.errors.OperationalError:
        raise
    except psycopg.Error as exc:
        diag = exc.diag
        raise ApiError(
            400,
            diag.sqlstate or "XX000",
            diag.message_primary or str(exc),
            diag.message_detail,
            diag.message_hint,
        ) from None


def wants_csv(accept: str) -> bool:
    """Whether an ``Accept`` header asks for ``text/csv`` (JSON otherwise)."""
    return any(m.split(";")[0].strip().lower() == "text/csv" for m in accept.split(","))


def _in_list(operand: str) -> list[str] | None:
    """Items of ``(a,b,"c,d")``; None when not a parenthesised list."""
    if not (operand.startswith("(") and operand.endswith(")")):
        return None
    items, current, quoted, escaped = [], [], False, False
    for char in operand[1:-1]:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if operand[1:-1] or current:
        items.append("".join(current))
    return items


def start(
    db_url: str,
    *,
    db_schema: str,
    bind_address: str,
    port: int = 0,
    token: str | None = None,
    max_rows: int | None = None,
) -> tuple[StandinServer, threading.Thread]:
    """Start the stand-in in a background thread (port 0: a free port); returns server, thread."""
    server = StandinServer((bind_address, port), db_url, db_schema, token, max_rows)
    thread = threading.Thread(target=server.serve_forever, name="postgrest-standin", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> int:
    from fuelopt.config import get_settings

    cfg = get_settings().sources.standin
    parser = argparse.ArgumentParser(
        prog="python -m fuelopt.sources.postgrest_standin",
        description="DEV-ONLY PostgREST stand-in serving one PostgreSQL schema over HTTP.",
    )
    parser.add_argument("--db-url", required=True, help="PostgreSQL URI of the telemetry DB")
    parser.add_argument("--port", type=int, default=cfg.port)
    parser.add_argument("--token", help="require 'Authorization: Bearer TOKEN'")
    parser.add_argument("--schema", default=cfg.db_schema, help="exposed schema")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = StandinServer(
        (cfg.bind_address, args.port), args.db_url, args.schema, args.token, cfg.max_rows
    )
    log.info("PostgREST stand-in serving schema %s on %s", args.schema, server.base_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
