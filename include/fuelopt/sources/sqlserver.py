"""Operations records from SQL Server: SQLAlchemy Core queries, chunked server-side reads.

The connection ``connections.operations`` is ``mssql`` in production (``MsSqlHook``, pymssql)
and ``postgres`` locally, where a PostgreSQL database with the same ``dbo`` tables stands in
for SQL Server (``PostgresHook``). Queries are SQLAlchemy Core expressions, never strings, so the
same query compiles to T-SQL and to PostgreSQL. Rows are read with a streaming cursor and
``fetchmany`` in chunks of ``sources.operations.chunk_rows``: memory stays flat; every statement
and fetch is bounded by ``sources.operations.query_timeout_seconds``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fuelopt.errors import SourceUnavailable
from fuelopt.sources.tables import OPERATIONS_COLUMNS, OPTIONAL_COLUMNS, column_kind

log = logging.getLogger(__name__)

_TYPES: dict[str, sa.types.TypeEngine] = {
    "timestamp": sa.DateTime(timezone=True),
    "date": sa.Date(),
    "float": sa.Float(),
    "string": sa.String(64),
}
# The natural key of each table (its primary key in the source): the order inside one watermark
# value, and what an incremental load upserts raw rows by.
KEYS = {
    "equipment": ("equipment_id",),
    "haul_cycles": ("cycle_id",),
    "fuel_dispatch": ("dispatch_id",),
    "shift_plan": ("shift_date", "shift", "shovel_id"),
}


def source_table(name: str, schema: str, extra: str | None = None) -> sa.Table:
    """The SQLAlchemy description of one operations source table (docs/contracts.md §1), with
    the source-only column ``extra`` (e.g. ``modified_at``) when given."""
    if name not in OPERATIONS_COLUMNS:
        raise ValueError(f"unknown operations table {name!r}; one of {sorted(OPERATIONS_COLUMNS)}")
    names = [
        *OPERATIONS_COLUMNS[name],
        *([extra] if extra not in (None, *OPERATIONS_COLUMNS[name]) else []),
    ]
    columns = [sa.Column(c, _TYPES[column_kind(c)]) for c in names]
    return sa.Table(name, sa.MetaData(schema=schema), *columns)


def build_query(
    name: str,
    schema: str,
    watermark_column: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int | None = None,
    with_mark: bool = False,
    missing: frozenset[str] = frozenset(),
) -> sa.Select:
    """``SELECT`` of one table's contract columns (and, ``with_mark``, the watermark column
    again, last): ``since <= watermark < until`` when given, in a stable order. The optional
    columns in ``missing`` (an older source schema without them) are read as a typed NULL."""
    table = source_table(name, schema, watermark_column)
    bad = set(missing) - set(OPTIONAL_COLUMNS.get(name, ()))
    if bad:
        raise ValueError(f"{name}: {sorted(bad)} are not optional columns of the contract")
    query = sa.select(
        *(
            sa.cast(sa.null(), table.c[c].type).label(c) if c in missing else table.c[c]
            for c in OPERATIONS_COLUMNS[name]
        )
    )
    if with_mark and watermark_column is not None:
        query = query.add_columns(table.c[watermark_column].label("_mark"))
    if watermark_column is not None:
        column = table.c[watermark_column]
        if since is not None:
            query = query.where(column >= sa.bindparam("since", since, type_=column.type))
        if until is not None:
            query = query.where(column < sa.bindparam("until", until, type_=column.type))
        query = query.order_by(column)
    query = query.order_by(*(table.c[k] for k in KEYS[name] if k != watermark_column))
    if limit is not None:
        query = query.limit(limit)
    if offset is not None:
        query = query.offset(offset)
    return query


def missing_optional_columns(engine: Engine, name: str, schema: str) -> frozenset[str]:
    """The optional contract columns (``OPTIONAL_COLUMNS``) the source table lacks, each with a
    warning: an older source schema (e.g. ``haul_cycles`` before ``operator_id``) still loads."""
    optional = OPTIONAL_COLUMNS.get(name, ())
    if not optional:
        return frozenset()
    try:
        present = {c["name"].lower() for c in sa.inspect(engine).get_columns(name, schema=schema)}
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise SourceUnavailable(
            f"operations source: cannot read the columns of {name}: {reason}"
        ) from None
    missing = frozenset(c for c in optional if c not in present)
    for column in sorted(missing):
        log.warning(
            "operations source %s.%s has no column %s (an older schema): loaded as NULL",
            schema, name, column,
        )  # fmt: skip
    return missing


def compile_sql(query: sa.Select, dialect: str, server_version: tuple[int, ...] = (16,)) -> str:
    """The SQL text of ``query`` for ``mssql`` (SQL Server ``server_version``, 16 = 2022) or
    ``postgresql``; for tests and on-call."""
    from sqlalchemy.dialects import mssql, postgresql

    if dialect == "mssql":
        compiler = mssql.dialect()
        compiler.server_version_info = server_version
        compiler._setup_version_attributes()  # OFFSET ... FETCH from SQL Server 2012 on
    else:
        compiler = postgresql.dialect()
    return str(query.compile(dialect=compiler))


def engine_for(conn_id: str) -> Engine:
    """A SQLAlchemy engine from the connection's own hook (MsSqlHook or PostgresHook)."""
    from airflow.sdk import Connection

    hook = Connection.get(conn_id).get_hook()
    if not hasattr(hook, "get_sqlalchemy_engine"):
        raise ValueError(f"connection {conn_id!r} is not a SQL connection ({type(hook).__name__})")
    return hook.get_sqlalchemy_engine()


def set_query_timeout(conn: sa.Connection, seconds: int) -> None:
    """Bound every statement and fetch on ``conn``: ``statement_timeout`` on PostgreSQL, the
    driver's query timeout on SQL Server (pyodbc ``timeout``, pymssql ``query_timeout``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT set_config('statement_timeout', :v, false)"), {"v": f"{seconds}s"}
        )
        return
    dbapi = conn.connection.dbapi_connection
    if hasattr(dbapi, "timeout"):  # pyodbc
        dbapi.timeout = seconds
    elif hasattr(getattr(dbapi, "_conn", None), "query_timeout"):  # pymssql
        dbapi._conn.query_timeout = seconds
    else:
        raise ValueError(f"no query timeout for driver {type(dbapi).__module__}")


def iter_chunks(
    engine: Engine, query: sa.Select, chunk_rows: int, timeout_seconds: int
) -> Iterator[list[tuple]]:
    """Rows of ``query`` in lists of at most ``chunk_rows``, read with a streaming cursor; each
    statement and fetch must end within ``timeout_seconds``."""
    try:
        with engine.connect() as conn:
            set_query_timeout(conn, timeout_seconds)
            result = conn.execution_options(stream_results=True, max_row_buffer=chunk_rows).execute(
                query
            )
            while chunk := result.fetchmany(chunk_rows):
                yield [tuple(row) for row in chunk]
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise SourceUnavailable(
            f"operations source: query failed or overran {timeout_seconds} s "
            f"(sources.operations.query_timeout_seconds): {reason}"
        ) from None
