"""`fuelopt warehouse init` builds the layers and roles, and running it again changes nothing."""

from __future__ import annotations

import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.warehouse.bootstrap import init_warehouse

LAYERS = {"raw", "cleansed", "features", "marts", "ops"}


def _snapshot(uri: str) -> dict:
    with psycopg.connect(uri) as conn:
        schemas = conn.execute(
            "SELECT nspname, pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace"
            " WHERE nspname = ANY(%s) ORDER BY 1",
            (list(LAYERS),),
        ).fetchall()
        tables = conn.execute(
            "SELECT schemaname, tablename, tableowner FROM pg_tables"
            " WHERE schemaname = ANY(%s) ORDER BY 1, 2",
            (list(LAYERS),),
        ).fetchall()
        defaults = conn.execute("SELECT defaclacl::text FROM pg_default_acl ORDER BY 1").fetchall()
    return {"schemas": schemas, "tables": tables, "defaults": defaults}


def test_init_creates_layers_owned_by_the_loader(warehouse_uri):
    loader = get_settings().warehouse.roles.loader
    snap = _snapshot(warehouse_uri)
    assert {s[0] for s in snap["schemas"]} == LAYERS
    assert {s[1] for s in snap["schemas"]} == {loader}
    tables = {(s, t) for s, t, _ in snap["tables"]}
    assert {("raw", "truck_telemetry"), ("raw", "haul_cycles"), ("ops", "alert_log")} <= tables
    assert {owner for *_, owner in snap["tables"]} == {loader}


def test_init_twice_changes_nothing(warehouse_uri):
    before = _snapshot(warehouse_uri)
    init_warehouse(warehouse_uri)
    assert _snapshot(warehouse_uri) == before


def test_bi_reader_gets_select_on_new_marts_tables_only(warehouse_uri):
    reader = get_settings().warehouse.roles.bi_reader
    with psycopg.connect(warehouse_uri) as conn:
        conn.execute("CREATE TABLE marts.probe (x int)")
        conn.execute("INSERT INTO marts.probe VALUES (1)")
    reader_uri = warehouse_uri.replace("fuelopt_loader@", f"{reader}@")
    with psycopg.connect(reader_uri) as conn:
        assert conn.execute("SELECT x FROM marts.probe").fetchone() == (1,)
    with (
        psycopg.connect(reader_uri) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT count(*) FROM raw.haul_cycles")


def test_a_role_gets_the_password_it_is_given(warehouse_uri):
    import uuid

    from fuelopt.warehouse.bootstrap import ensure_role
    from fuelopt.warehouse.db import admin_uri

    role = f"fo_test_role_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_uri(), autocommit=True) as conn:
        try:
            ensure_role(conn, role)
            query = "SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s"
            assert conn.execute(query, (role,)).fetchone() == (True, False)
            ensure_role(conn, role, "s3cret-for-a-test")
            assert conn.execute(query, (role,)).fetchone() == (True, True)
        finally:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
