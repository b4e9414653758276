"""What each report shows, read from the marts (and `ops` for data quality) in one connection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from fuelopt.config import Settings
from fuelopt.errors import BadInput
from fuelopt.optimize.build import shift_of
from fuelopt.warehouse.db import query_frame, relation_exists

SHIFTS = ("day", "night")
SEVERITIES = ("none", "info", "warning", "high", "critical")
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class ShiftReport:
    """One planned shift: per-truck plan with cost and CO2, run figures, previous shift's levers."""

    shift_date: date
    shift: str
    trucks: pd.DataFrame
    summary: dict[str, Any]
    previous: str
    levers: pd.DataFrame | None
    levers_note: str

    @property
    def key(self) -> str:
        return f"{self.shift_date.isoformat()}_{self.shift}"


@dataclass(frozen=True)
class WeeklyReport:
    """One ISO week: litres per tonne, forecasts vs actuals, plans, drift and data quality."""

    week: str
    monday: date
    daily: pd.DataFrame
    trend: pd.DataFrame
    forecasts: pd.DataFrame
    performance: pd.DataFrame
    plans: pd.DataFrame
    drift: pd.DataFrame
    quality: pd.DataFrame
    rejects: pd.DataFrame
    summary: dict[str, Any]
    savings: pd.DataFrame | None = None
    savings_note: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def parse_date(text: str, option: str = "--date") -> date:
    """A YYYY-MM-DD date; anything else is bad input naming ``option``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option}: not a date (YYYY-MM-DD): {text!r}") from None


def parse_week(text: str) -> date:
    """The Monday of an ISO week written YYYY-Www; anything else is bad input."""
    match = WEEK_PATTERN.match(text or "")
    try:
        if not match:
            raise ValueError
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise BadInput(f"--week: not an ISO week (YYYY-Www, e.g. 2026-W09): {text!r}") from None


def week_of(day: date) -> str:
    """The ISO week ``day`` falls in, as YYYY-Www."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def previous_shift(shift_date: date, shift: str) -> tuple[date, str]:
    """The shift before (night of the day before a day shift; day shift before a night)."""
    return (shift_date, "day") if shift == "night" else (shift_date - timedelta(days=1), "night")


def _levers(
    conn: psycopg.Connection, settings: Settings, day: date, shift: str
) -> tuple[pd.DataFrame | None, str]:
    """Top rows of the savings mart for a shift, or None and why there are none."""
    cfg = settings.reports
    marts = settings.warehouse.schemas.marts
    label = f"{day.isoformat()} {shift}"
    if not relation_exists(conn, sql.Identifier(marts, cfg.savings_mart)):
        return None, (
            f"Saving levers are not available yet: {marts}.{cfg.savings_mart} does not exist."
        )
    frame = query_frame(
        conn,
        sql.SQL("SELECT * FROM {} WHERE shift_date = %s AND shift = %s").format(
            sql.Identifier(marts, cfg.savings_mart)
        ),
        (day, shift),
    )
    saving = [c for c in frame.columns if "saving" in c and pd.api.types.is_numeric_dtype(frame[c])]
    if saving:
        others = frame.drop(columns=saving[0]).astype("string").fillna("").agg("|".join, axis=1)
        frame = (
            frame.assign(_tie=others)
            .sort_values([saving[0], "_tie"], ascending=[False, True])
            .drop(columns="_tie")
        )
    frame = frame.head(cfg.levers_top_n).reset_index(drop=True)
    if frame.empty:
        return (
            None,
            f"No saving levers for the previous shift ({label}) in {marts}.{cfg.savings_mart}.",
        )
    return (
        frame,
        f"Biggest saving levers of the previous shift ({label}), {marts}.{cfg.savings_mart}.",
    )


def shift_report(
    conn: psycopg.Connection, settings: Settings, day: date, shift: str
) -> ShiftReport:
    """The published plan of one shift from marts.fct_fleet_plan; no plan is bad input."""
    cfg = settings.reports
    marts = settings.warehouse.schemas.marts
    if not relation_exists(conn, sql.Identifier(marts, "fct_fleet_plan")):
        raise BadInput(
            f"no fleet plan for {day.isoformat()} {shift}: {marts}.fct_fleet_plan does not exist"
        )
    rows = query_frame(
        conn,
        sql.SQL(
            "SELECT plan_id, truck_id, shovel_id, dump_id, cycles, predicted_fuel_l, status,"
            " objective_fuel_l, baseline_fuel_l, saving_pct, gap_pct, solve_seconds, fuel_source,"
            " created_at, run_id FROM {} WHERE shift_date = %s AND shift = %s"
            " ORDER BY truck_id, shovel_id, dump_id"
        ).format(sql.Identifier(marts, "fct_fleet_plan")),
        (day, shift),
    )
    if rows.empty:
        raise BadInput(f"no fleet plan for {day.isoformat()} {shift} in {marts}.fct_fleet_plan")
    trucks = rows[["truck_id", "shovel_id", "dump_id", "cycles", "predicted_fuel_l"]].copy()
    trucks["cost"] = trucks["predicted_fuel_l"] * cfg.diesel_price_per_l
    trucks["co2_kg"] = trucks["predicted_fuel_l"] * cfg.co2_kg_per_l
    first = rows.iloc[0]
    planned = float(trucks["predicted_fuel_l"].sum())
    baseline = None if pd.isna(first["baseline_fuel_l"]) else float(first["baseline_fuel_l"])
    saving_l = None if baseline is None else baseline - planned
    summary = {
        "shift": f"{day.isoformat()} {shift}",
        "plan_id": first["plan_id"],
        "status": first["status"],
        "fuel_source": first["fuel_source"],
        "published_at": first["created_at"].isoformat(),
        "trucks": int(trucks["truck_id"].nunique()),
        "working_trucks": int(trucks.loc[trucks["cycles"] > 0, "truck_id"].nunique()),
        "cycles": int(trucks["cycles"].sum()),
        "predicted_fuel_l": planned,
        "cost": planned * cfg.diesel_price_per_l,
        "co2_kg": planned * cfg.co2_kg_per_l,
        "greedy_fuel_l": baseline,
        "saving_l": saving_l,
        "saving_pct": None if pd.isna(first["saving_pct"]) else float(first["saving_pct"]),
        "saving_cost": None if saving_l is None else saving_l * cfg.diesel_price_per_l,
        "saving_co2_kg": None if saving_l is None else saving_l * cfg.co2_kg_per_l,
        "gap_pct": None if pd.isna(first["gap_pct"]) else float(first["gap_pct"]),
        "diesel_price_per_l": cfg.diesel_price_per_l,
        "currency": cfg.currency,
        "co2_kg_per_l": cfg.co2_kg_per_l,
    }
    prev_day, prev_shift = previous_shift(day, shift)
    levers, note = _levers(conn, settings, prev_day, prev_shift)
    return ShiftReport(
        shift_date=day,
        shift=shift,
        trucks=trucks,
        summary=summary,
        previous=f"{prev_day.isoformat()}_{prev_shift}",
        levers=levers,
        levers_note=note,
    )


def _plans(conn: psycopg.Connection, settings: Settings, monday: date) -> pd.DataFrame:
    """Each planned shift of the week: planned vs greedy litres and the litres actually hauled."""
    marts = settings.warehouse.schemas.marts
    shift_cfg = settings.optimize.shift
    night_offset = (
        shift_of(monday, "night", shift_cfg).start - shift_of(monday, "day", shift_cfg).start
    )
    query = sql.SQL(
        """
        WITH plans AS (
            SELECT shift_date, shift, max(status) AS status, sum(cycles) AS planned_cycles,
                   max(objective_fuel_l) AS planned_fuel_l, max(baseline_fuel_l) AS greedy_fuel_l,
                   max(saving_pct) AS saving_pct,
                   (shift_date::timestamp + make_interval(hours => %(start_h)s)
                    + CASE WHEN shift = 'night' THEN make_interval(secs => %(night_s)s)
                      ELSE interval '0' END) AT TIME ZONE 'UTC' AS shift_start
            FROM {plan} WHERE shift_date BETWEEN %(lo)s AND %(hi)s
            GROUP BY shift_date, shift
        )
        SELECT p.shift_date, p.shift, p.status, p.planned_cycles, p.planned_fuel_l,
               p.greedy_fuel_l, p.greedy_fuel_l - p.planned_fuel_l AS predicted_saving_l,
               p.saving_pct, a.actual_cycles, a.actual_fuel_l
        FROM plans p
        LEFT JOIN LATERAL (
            SELECT count(*) AS actual_cycles, sum(c.fuel_l) AS actual_fuel_l FROM {cycles} c
            WHERE c.load_start >= p.shift_start
              AND c.load_start < p.shift_start + make_interval(secs => %(shift_s)s)
        ) a ON true
        ORDER BY p.shift_date, p.shift
        """
    ).format(
        plan=sql.Identifier(marts, "fct_fleet_plan"),
        cycles=sql.Identifier(marts, "fct_haul_cycles"),
    )
    return query_frame(
        conn,
        query,
        {
            "lo": monday,
            "hi": monday + timedelta(days=6),
            "start_h": shift_cfg.day_start_hour,
            "night_s": night_offset.total_seconds(),
            "shift_s": shift_cfg.shift_hours * 3600.0,
        },
    )


def _ops_status(conn: psycopg.Connection, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latest data-quality validation per suite, and quarantined rows per table and rule."""
    ops = settings.warehouse.schemas.ops
    quality = pd.DataFrame(columns=["suite", "validated_at", "expectations", "failed"])
    rejects = pd.DataFrame(columns=["table_name", "rule", "rows"])
    if relation_exists(conn, sql.Identifier(ops, "dq_results")):
        quality = query_frame(
            conn,
            sql.SQL(
                "SELECT suite, max(validated_at) AS validated_at, count(*) AS expectations,"
                " sum(CASE WHEN success THEN 0 ELSE 1 END) AS failed FROM {dq} d"
                " WHERE run_id = (SELECT r.run_id FROM {dq} r WHERE r.suite = d.suite"
                "   ORDER BY r.validated_at DESC LIMIT 1)"
                " GROUP BY suite ORDER BY suite"
            ).format(dq=sql.Identifier(ops, "dq_results")),
        )
    if relation_exists(conn, sql.Identifier(ops, "rejects")):
        rejects = query_frame(
            conn,
            sql.SQL(
                'SELECT table_name, "rule", count(*) AS rows FROM {} GROUP BY 1, 2 ORDER BY 1, 2'
            ).format(sql.Identifier(ops, "rejects")),
        )
    return quality, rejects


def _drift(conn: psycopg.Connection, settings: Settings) -> pd.DataFrame:
    """The latest run of each monitoring check type: results, drifted ones, worst severity."""
    marts = settings.warehouse.schemas.marts
    if not relation_exists(conn, sql.Identifier(marts, "fct_drift_checks")):
        return pd.DataFrame(columns=["check_type", "checked_at", "results", "drifted", "severity"])
    return query_frame(
        conn,
        sql.SQL(
            "SELECT d.check_type, max(d.checked_at) AS checked_at, count(*) AS results,"
            " sum(d.drift) AS drifted,"
            " (%(sev)s::text[])[max(array_position(%(sev)s::text[], d.severity))] AS severity"
            " FROM {dc} d WHERE d.run_id = (SELECT r.run_id FROM {dc} r"
            "   WHERE r.check_type = d.check_type ORDER BY r.checked_at DESC LIMIT 1)"
            " GROUP BY d.check_type ORDER BY d.check_type"
        ).format(dc=sql.Identifier(marts, "fct_drift_checks")),
        {"sev": list(SEVERITIES)},
    )


def weekly_report(conn: psycopg.Connection, settings: Settings, week: str) -> WeeklyReport:
    """Every figure of the weekly report; a week without daily data is bad input."""
    monday = parse_week(week)
    sunday = monday + timedelta(days=6)
    marts = settings.warehouse.schemas.marts
    span = f"week {week} ({monday.isoformat()} to {sunday.isoformat()})"
    if not relation_exists(conn, sql.Identifier(marts, "fct_fuel_daily")):
        raise BadInput(f"no data for {span}: {marts}.fct_fuel_daily does not exist")
    daily = query_frame(
        conn,
        sql.SQL(
            'SELECT "date", fuel_l, cycle_fuel_l, tonnes, cycles, active_trucks, planned_t,'
            " plan_attainment_pct, litres_per_t, haul_litres_per_tkm FROM {}"
            ' WHERE "date" BETWEEN %s AND %s ORDER BY "date"'
        ).format(sql.Identifier(marts, "fct_fuel_daily")),
        (monday, sunday),
    )
    if daily.empty:
        raise BadInput(f"no data for {span} in {marts}.fct_fuel_daily")
    first_week = monday - timedelta(weeks=settings.reports.trend_weeks - 1)
    trend = query_frame(
        conn,
        sql.SQL(
            """
            SELECT d.week, d.days, d.fuel_l, d.tonnes,
                   d.fuel_l / nullif(d.tonnes, 0) AS litres_per_t,
                   h.haul_fuel_l, h.haul_fuel_l / nullif(h.haul_t, 0) AS haul_litres_per_t
            FROM (SELECT to_char("date", 'IYYY-"W"IW') AS week, count(*) AS days,
                         sum(fuel_l) AS fuel_l, sum(tonnes) AS tonnes
                  FROM {daily} WHERE "date" BETWEEN %(lo)s AND %(hi)s GROUP BY 1) d
            LEFT JOIN (SELECT to_char(cycle_date, 'IYYY-"W"IW') AS week,
                              sum(fuel_l) AS haul_fuel_l, sum(payload_t) AS haul_t
                       FROM {cycles} WHERE cycle_date BETWEEN %(lo)s AND %(hi)s GROUP BY 1) h
              ON h.week = d.week
            ORDER BY d.week
            """
        ).format(
            daily=sql.Identifier(marts, "fct_fuel_daily"),
            cycles=sql.Identifier(marts, "fct_haul_cycles"),
        ),
        {"lo": first_week, "hi": sunday},
    )
    forecasts = query_frame(
        conn,
        sql.SQL(
            "SELECT DISTINCT ON (target_date, horizon_days) target_date, horizon_days,"
            " model_version, issued_at, pred, lo80, hi80, lo95, hi95, actual_fuel_l, error_l,"
            " in_80, in_95 FROM {} WHERE target_date BETWEEN %s AND %s"
            " ORDER BY target_date, horizon_days, issued_at DESC, prediction_id DESC"
        ).format(sql.Identifier(marts, "fct_fuel_forecast")),
        (monday, sunday),
    )
    performance = query_frame(
        conn,
        sql.SQL(
            "SELECT model_name, model_version, horizon_days, first_target_date, last_target_date,"
            " n_forecasts, mae_l, mape_pct, coverage_80_pct, coverage_95_pct FROM {}"
            " ORDER BY model_name, model_version, horizon_days"
        ).format(sql.Identifier(marts, "fct_model_performance")),
    )
    plans = _plans(conn, settings, monday)
    quality, rejects = _ops_status(conn, settings)
    drift = _drift(conn, settings)
    notes = []
    savings, savings_note = None, None
    cfg = settings.reports
    if relation_exists(conn, sql.Identifier(marts, cfg.savings_mart)):
        savings = query_frame(
            conn,
            sql.SQL("SELECT * FROM {} WHERE shift_date BETWEEN %s AND %s ORDER BY 1").format(
                sql.Identifier(marts, cfg.savings_mart)
            ),
            (monday, sunday),
        )
    else:
        savings_note = (
            f"Realised savings are not available yet: {marts}.{cfg.savings_mart} does not exist;"
            " the plans' predicted savings against the greedy dispatcher are shown instead."
        )
        notes.append(savings_note)
    if forecasts.empty:
        notes.append(f"No demand forecast targets a day of {span} in {marts}.fct_fuel_forecast.")
    fuel = float(daily["fuel_l"].sum())
    tonnes = float(daily["tonnes"].sum())
    worst = max(drift["severity"].dropna(), key=SEVERITIES.index, default="none")
    summary = {
        "week": week,
        "days": f"{monday.isoformat()} to {sunday.isoformat()}",
        "days_with_data": len(daily),
        "fuel_l": fuel,
        "tonnes": tonnes,
        "litres_per_t": fuel / tonnes if tonnes else None,
        "cost": fuel * cfg.diesel_price_per_l,
        "co2_kg": fuel * cfg.co2_kg_per_l,
        "currency": cfg.currency,
        "planned_shifts": len(plans),
        "predicted_saving_l": float(plans["predicted_saving_l"].sum()) if len(plans) else 0.0,
        "forecasts_with_actuals": int(forecasts["actual_fuel_l"].notna().sum()),
        "drift_severity": worst,
        "dq_failed_expectations": int(quality["failed"].sum()) if len(quality) else 0,
        "rejected_rows": int(rejects["rows"].sum()) if len(rejects) else 0,
    }
    return WeeklyReport(
        week=week,
        monday=monday,
        daily=daily,
        trend=trend,
        forecasts=forecasts,
        performance=performance,
        plans=plans,
        drift=drift,
        quality=quality,
        rejects=rejects,
        summary=summary,
        savings=savings,
        savings_note=savings_note,
        notes=notes,
    )
