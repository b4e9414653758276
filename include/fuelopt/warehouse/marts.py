"""Read-only queries on the marts as ``bi_reader`` (connections.bi_reader): what the API and the
dashboard show. Parameterised SQL, identifiers from config, a statement timeout per session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from fuelopt.config import get_settings
from fuelopt.warehouse.db import relation, relation_exists


def reader_uri() -> str:
    """The bi_reader connection's URI (env ``AIRFLOW_CONN_FUELOPT_BI_READER``, see README)."""
    from fuelopt.warehouse.db import conn_uri

    return conn_uri(get_settings().connections.bi_reader)


@contextmanager
def read_only(uri: str) -> Iterator[psycopg.Connection]:
    """A read-only bi_reader session with the configured connect and statement deadlines."""
    cfg = get_settings().warehouse.reader
    # jit off: the planner's row estimates through the savings view's CTEs are millions of times
    # too high, so PostgreSQL JIT-compiles it; on the main job's mine that was 3.6 s of a 3.8 s
    # query that runs in 0.3 s without JIT, past the statement deadline on a busy machine.
    options = (
        f"-c statement_timeout={cfg.statement_timeout_ms} -c default_transaction_read_only=on"
        " -c jit=off"
    )
    with psycopg.connect(
        uri, connect_timeout=cfg.connect_timeout_seconds, options=options, row_factory=dict_row
    ) as conn:
        yield conn


def ping(conn: psycopg.Connection) -> None:
    conn.execute("SELECT 1").fetchone()


def plan(conn: psycopg.Connection, shift_date: date, shift: str) -> dict[str, Any] | None:
    """The latest plan of one shift: its totals and one row per truck and route; None if none."""
    rows = conn.execute(
        sql.SQL(
            "SELECT plan_id, shift_date, shift, truck_id, shovel_id, dump_id, cycles,"
            " predicted_fuel_l, status, objective_fuel_l, baseline_fuel_l, saving_pct, gap_pct,"
            " fuel_source, created_at FROM {mart} WHERE shift_date = %s AND shift = %s"
            " AND plan_id = (SELECT plan_id FROM {mart} WHERE shift_date = %s AND shift = %s"
            " ORDER BY created_at DESC, plan_id DESC LIMIT 1)"
            " ORDER BY truck_id, shovel_id, dump_id"
        ).format(mart=relation("marts", "fct_fleet_plan")),
        (shift_date, shift, shift_date, shift),
    ).fetchall()
    if not rows:
        return None
    head = rows[0]
    keys = ("truck_id", "shovel_id", "dump_id", "cycles", "predicted_fuel_l")
    return {
        **{k: head[k] for k in head if k not in keys},
        "assignments": [{k: r[k] for k in keys} for r in rows],
    }


def latest_shift(conn: psycopg.Connection) -> tuple[date, str] | None:
    """The last planned shift (latest date; night after day), or None."""
    row = conn.execute(
        sql.SQL(
            "SELECT shift_date, shift FROM {} GROUP BY shift_date, shift"
            " ORDER BY shift_date DESC, shift = 'night' DESC LIMIT 1"
        ).format(relation("marts", "fct_fleet_plan"))
    ).fetchone()
    return (row["shift_date"], row["shift"]) if row else None


def forecast(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every row of the latest forecast issue (per target date and horizon), actuals if known."""
    return conn.execute(
        sql.SQL(
            "SELECT model_name, model_version, issued_at, horizon_days, target_date, pred, lo80,"
            " hi80, lo95, hi95, actual_fuel_l FROM {mart}"
            " WHERE issued_at = (SELECT max(issued_at) FROM {mart})"
            " ORDER BY target_date, horizon_days, model_name"
        ).format(mart=relation("marts", "fct_fuel_forecast"))
    ).fetchall()


def plan_savings(conn: psycopg.Connection, shifts: int) -> list[dict[str, Any]]:
    """Planned against greedy litres of the latest ``shifts`` planned shifts (latest first)."""
    return conn.execute(
        sql.SQL(
            "SELECT DISTINCT ON (shift_date, shift) shift_date, shift, plan_id, status,"
            " objective_fuel_l AS planned_fuel_l, baseline_fuel_l AS greedy_fuel_l,"
            " baseline_fuel_l - objective_fuel_l AS saving_l, saving_pct, fuel_source"
            " FROM {} ORDER BY shift_date DESC, shift DESC, created_at DESC, plan_id DESC"
            " LIMIT %s"
        ).format(relation("marts", "fct_fleet_plan")),
        (shifts,),
    ).fetchall()


def savings_levers(conn: psycopg.Connection, limit: int) -> list[dict[str, Any]] | None:
    """Rows of ``marts.fct_fuel_savings`` (at most ``limit``) when that mart exists, else None."""
    mart = relation("marts", get_settings().reports.savings_mart)
    if not relation_exists(conn, mart):
        return None
    return conn.execute(sql.SQL("SELECT * FROM {} LIMIT %s").format(mart), (limit,)).fetchall()


def top_levers(conn: psycopg.Connection) -> list[dict[str, Any]] | None:
    """The ``reports.summary_levers_top_n`` biggest levers of the ``reports.summary_levers_days``
    days up to the newest shift in ``marts.fct_fuel_savings``: litres, cost, CO2 (the main job's
    summary); None while that mart does not exist."""
    cfg = get_settings().reports
    mart = relation("marts", cfg.savings_mart)
    if not relation_exists(conn, mart):
        return None
    return conn.execute(
        sql.SQL(
            "SELECT lever, sum(saving_l) AS saving_l, sum(saving_cost) AS saving_cost,"
            " sum(saving_co2_kg) AS saving_co2_kg, min(shift_date) AS first_shift_date,"
            " max(shift_date) AS last_shift_date FROM {mart}"
            " WHERE shift_date > (SELECT max(shift_date) FROM {mart}) - %s"
            " GROUP BY lever ORDER BY saving_l DESC, lever LIMIT %s"
        ).format(mart=mart),
        (cfg.summary_levers_days, cfg.summary_levers_top_n),
    ).fetchall()


def plan_adherence(conn: psycopg.Connection, limit: int) -> list[dict[str, Any]] | None:
    """The ``limit`` latest planned shifts that have haul cycles: trucks, cycles at the planned
    shovel (%), litres per tonne planned and realised, and against comparable unplanned shifts;
    None while ``marts.fct_plan_adherence`` does not exist."""
    mart = relation("marts", "fct_plan_adherence")
    if not relation_exists(conn, mart):
        return None
    return conn.execute(
        sql.SQL(
            "SELECT shift_date, shift, count(*) AS trucks,"
            " 100.0 * sum(cycles_at_planned_shovel) / nullif(sum(actual_cycles), 0)"
            " AS adherence_pct,"
            " sum(planned_fuel_l) / nullif(sum(planned_tonnes), 0) AS planned_litres_per_t,"
            " max(shift_litres_per_t) AS shift_litres_per_t,"
            " max(unplanned_litres_per_t) AS unplanned_litres_per_t,"
            " max(shift_vs_unplanned_pct) AS shift_vs_unplanned_pct"
            " FROM {} GROUP BY shift_date, shift ORDER BY shift_date DESC, shift DESC LIMIT %s"
        ).format(mart),
        (limit,),
    ).fetchall()


def drift_checks(conn: psycopg.Connection, limit: int) -> list[dict[str, Any]]:
    """The latest drift, accuracy and freshness checks, newest first."""
    return conn.execute(
        sql.SQL(
            "SELECT checked_at, check_type, subject, column_name, metric, value, threshold,"
            " drift, severity FROM {} ORDER BY checked_at DESC, check_type, subject,"
            " column_name LIMIT %s"
        ).format(relation("marts", "fct_drift_checks")),
        (limit,),
    ).fetchall()


def freshness(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """When each mart's newest data was loaded or written."""
    return conn.execute(
        sql.SQL(
            "SELECT 'fct_haul_cycles' AS mart, max(loaded_at) AS latest FROM {cycles}"
            " UNION ALL SELECT 'fct_fleet_plan', max(created_at) FROM {plans}"
            " UNION ALL SELECT 'fct_fuel_forecast', max(issued_at) FROM {forecast}"
            " UNION ALL SELECT 'fct_drift_checks', max(checked_at) FROM {drift}"
        ).format(
            cycles=relation("marts", "fct_haul_cycles"),
            plans=relation("marts", "fct_fleet_plan"),
            forecast=relation("marts", "fct_fuel_forecast"),
            drift=relation("marts", "fct_drift_checks"),
        )
    ).fetchall()
