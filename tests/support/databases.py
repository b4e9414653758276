"""Blank and warehouse databases under unique names on the local PostgreSQL, dropped afterwards:
the fixtures of tests/conftest.py and the dbt-built feature frames (tests/support/features.py)
make theirs here."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


def unique_name(prefix: str) -> str:
    """A database or schema name no other test run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _server(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.hostname}:{parts.port or 5432}"


@contextmanager
def database_factory() -> Iterator[Callable[[str], str]]:
    """Factory of blank databases owned by the loader role; all dropped on exit."""
    import psycopg

    from fuelopt.config import get_settings
    from fuelopt.warehouse.bootstrap import drop_database, ensure_database, ensure_role
    from fuelopt.warehouse.db import admin_uri, with_database

    loader = get_settings().warehouse.roles.loader
    made: list[str] = []

    def make(prefix: str = "fuelopt_test") -> str:
        name = unique_name(prefix)
        with psycopg.connect(admin_uri(), autocommit=True) as conn:
            ensure_role(conn, loader)
        ensure_database(admin_uri(), name, loader)
        made.append(name)
        return with_database(f"postgresql://{loader}@{_server(admin_uri())}/", name)

    try:
        yield make
    finally:
        for name in made:
            drop_database(name)


def new_warehouse(make: Callable[[str], str]) -> str:
    """A fresh database from ``make`` with the warehouse's roles, schemas, grants and ops tables."""
    from fuelopt.warehouse.bootstrap import init_warehouse

    uri = make("fuelopt_wh")
    init_warehouse(uri)
    return uri
