"""Connections to the warehouse and the local PostgreSQL databases, from Airflow connections."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from fuelopt.config import get_settings


def conn_uri(conn_id: str) -> str:
    """A libpq URI for the Airflow connection ``conn_id`` (env ``AIRFLOW_CONN_<ID>`` or Airflow)."""
    from airflow.sdk import Connection

    uri = Connection.get(conn_id).get_uri()
    scheme, rest = uri.split("://", 1)
    if scheme.split("+")[0] not in {"postgres", "postgresql"}:
        raise ValueError(f"connection {conn_id!r} is {scheme!r}, not a PostgreSQL connection")
    return "postgresql://" + rest


def warehouse_uri() -> str:
    """The warehouse connection's URI."""
    return conn_uri(get_settings().connections.warehouse)


def admin_uri() -> str:
    """Superuser URI used only by set-up (``FUELOPT_ADMIN_URL``; local default in env.sh)."""
    uri = os.environ.get("FUELOPT_ADMIN_URL")
    if not uri:
        raise ValueError("FUELOPT_ADMIN_URL is not set (source include/scripts/env.sh)")
    return uri


def with_database(uri: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(uri: str) -> str:
    return urlsplit(uri).path.lstrip("/")


def relation(schema_key: str, name: str) -> sql.Identifier:
    """``<schema>.<name>`` quoted as an identifier, the schema being the configured
    ``warehouse.schemas.<schema_key>`` (raw, cleansed, features, marts or ops)."""
    return sql.Identifier(getattr(get_settings().warehouse.schemas, schema_key), name)


def relation_exists(conn: psycopg.Connection, ident: sql.Identifier) -> bool:
    """Whether the table or view ``ident`` exists (whatever the connection's row factory)."""
    cur = conn.cursor(row_factory=tuple_row)
    found = cur.execute("SELECT to_regclass(%s) IS NOT NULL", (ident.as_string(conn),))
    return bool(found.fetchone()[0])


def query_frame(
    conn: psycopg.Connection, query: str | sql.Composable, params: Any = None
) -> pd.DataFrame:
    """A query's result as a DataFrame (column names from the cursor, SQL numeric as float)."""
    cur = conn.execute(query, params)
    columns = [d.name for d in cur.description or []]
    frame = pd.DataFrame(cur.fetchall(), columns=columns)
    for col in frame.select_dtypes(include="object").columns:
        first = frame[col].dropna()
        if len(first) and isinstance(first.iloc[0], Decimal):
            frame[col] = frame[col].astype(float)
    return frame


@contextmanager
def connect(uri: str | None = None, **kwargs) -> Iterator[psycopg.Connection]:
    """A psycopg connection (warehouse by default) committed on success, rolled back on error."""
    with psycopg.connect(uri or warehouse_uri(), **kwargs) as conn:
        yield conn


_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``"NaN"``, ``"Infinity"`` or
    ``"-Infinity"`` (the JSON text jsonb accepts has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _NON_FINITE.get(value, "NaN")
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def jsonb_text(payload: Any) -> str:
    """``payload`` as JSON text for a jsonb column: non-finite floats as the strings ``"NaN"``,
    ``"Infinity"``, ``"-Infinity"``; anything else JSON cannot hold as its ``str()``."""
    return json.dumps(_finite(payload), default=_finite_default, allow_nan=False)


def _finite_default(value: Any) -> Any:
    try:  # numpy scalars and arrays, Decimal: through float / list when they convert
        converted = value.tolist() if hasattr(value, "tolist") else str(value)
    except Exception:
        return str(value)
    return _finite(converted)
