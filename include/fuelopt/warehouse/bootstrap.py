"""Idempotent creation of a warehouse database: roles, layer schemas, grants and ops tables."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import psycopg
from psycopg import sql

from fuelopt.config import PROJECT_ROOT, get_settings
from fuelopt.warehouse.db import admin_uri, database_name, warehouse_uri, with_database

log = logging.getLogger(__name__)
DDL_DIR = PROJECT_ROOT / "include" / "sql" / "warehouse"


ROLE_PASSWORD_ENV = {"loader": "FUELOPT_LOADER_PASSWORD", "bi_reader": "FUELOPT_BI_READER_PASSWORD"}


def ensure_role(conn: psycopg.Connection, role: str, password: str | None = None) -> None:
    """Create a login role; set its password when one is given (none locally, where the
    server trusts 127.0.0.1)."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    if password:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
        )


def ensure_database(admin: str, name: str, owner: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )
            log.info("created database %s", name)


def drop_database(name: str) -> None:
    """Drop a database (tests' own databases), closing its sessions first."""
    with psycopg.connect(admin_uri(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def ddl_files(directory: Path = DDL_DIR) -> list[Path]:
    """The warehouse's idempotent DDL scripts, applied in name order."""
    return sorted(directory.glob("*.sql"))


def init_warehouse(uri: str | None = None) -> str:
    """Create (or bring up to date) the warehouse database at ``uri``; returns its name."""
    settings = get_settings().warehouse
    schemas, roles = settings.schemas, settings.roles
    admin = admin_uri()
    with psycopg.connect(admin, autocommit=True) as conn:
        for key, env in ROLE_PASSWORD_ENV.items():
            ensure_role(conn, getattr(roles, key), os.environ.get(env))
    name = database_name(uri or warehouse_uri())
    ensure_database(admin, name, roles.loader)

    loader, reader = sql.Identifier(roles.loader), sql.Identifier(roles.bi_reader)
    with psycopg.connect(with_database(admin, name)) as conn:
        conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        for schema in (schemas.raw, schemas.cleansed, schemas.features, schemas.marts, schemas.ops):
            ident = sql.Identifier(schema)
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(ident, loader)
            )
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(ident))
        marts = sql.Identifier(schemas.marts)
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(marts, reader))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(marts, reader))
        conn.execute(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
            ).format(loader, marts, reader)
        )
        conn.execute(sql.SQL("SET ROLE {}").format(loader))
        for path in ddl_files():
            conn.execute(path.read_text())
        conn.execute("RESET ROLE")
    log.info("warehouse %s ready", name)
    return name
