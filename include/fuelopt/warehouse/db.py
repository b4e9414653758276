"""Connections to the warehouse and the local PostgreSQL databases, from Airflow connections."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

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


@contextmanager
def connect(uri: str | None = None, **kwargs) -> Iterator[psycopg.Connection]:
    """A psycopg connection (warehouse by default) committed on success, rolled back on error."""
    with psycopg.connect(uri or warehouse_uri(), **kwargs) as conn:
        yield conn
