"""The Streamlit dashboard: next shift's plan, savings, forecast, freshness and drift, read from
the marts as bi_reader (run by ``fuelopt dashboard``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from fuelopt.config import get_settings
from fuelopt.optimize.build import next_shift
from fuelopt.warehouse import marts


@st.cache_resource
def _reader() -> str:
    return marts.reader_uri()


def _plan_section(conn) -> None:
    upcoming = next_shift(datetime.now(UTC), get_settings().optimize.shift)
    found = marts.plan(conn, upcoming.shift_date, upcoming.shift)
    if found is None:
        latest = marts.latest_shift(conn)
        found = marts.plan(conn, *latest) if latest else None
    st.header("Fleet plan")
    if found is None:
        st.info("No fleet plan in marts.fct_fleet_plan yet.")
        return
    st.subheader(f"{found['shift_date']} {found['shift']} shift: plan {found['plan_id']}")
    cols = st.columns(4)
    cols[0].metric("status", found["status"])
    cols[1].metric("planned litres", f"{found['objective_fuel_l']:,.1f}")
    cols[2].metric("greedy litres", f"{(found['baseline_fuel_l'] or 0):,.1f}")
    cols[3].metric("saving %", f"{(found['saving_pct'] or 0):.2f}")
    st.table(pd.DataFrame(found["assignments"]))


def _savings_section(conn) -> None:
    cfg = get_settings().dashboard
    st.header("Savings: plan against greedy dispatch")
    shifts = pd.DataFrame(marts.plan_savings(conn, cfg.savings_shifts))
    if shifts.empty:
        st.info("No planned shifts yet.")
    else:
        shifts["shift_key"] = shifts["shift_date"].astype(str) + " " + shifts["shift"]
        st.bar_chart(shifts.set_index("shift_key")[["planned_fuel_l", "greedy_fuel_l"]])
        st.dataframe(shifts.drop(columns="shift_key"), hide_index=True)
    levers = marts.savings_levers(conn, cfg.savings_shifts * 100)
    if levers is not None:
        st.subheader("Saving levers (marts.fct_fuel_savings)")
        st.dataframe(pd.DataFrame(levers), hide_index=True)


def _forecast_section(conn) -> None:
    st.header("Fuel demand forecast")
    rows = pd.DataFrame(marts.forecast(conn))
    if rows.empty:
        st.info("No forecast issued yet.")
        return
    st.caption(f"issued {rows['issued_at'].iloc[0]} by {rows['model_name'].iloc[0]}")
    nearest = rows.sort_values("horizon_days").drop_duplicates("target_date")
    st.line_chart(nearest.set_index("target_date")[["lo95", "lo80", "pred", "hi80", "hi95"]])
    st.dataframe(rows, hide_index=True)


def _status_section(conn) -> None:
    st.header("Data freshness")
    st.dataframe(pd.DataFrame(marts.freshness(conn)), hide_index=True)
    st.header("Drift and accuracy checks")
    checks = pd.DataFrame(marts.drift_checks(conn, get_settings().dashboard.drift_checks))
    if checks.empty:
        st.info("No checks recorded yet.")
    else:
        drifting = int(checks["drift"].fillna(0).sum())
        st.metric("checks drifting", f"{drifting} of {len(checks)}")
        st.dataframe(checks, hide_index=True)


def main() -> None:
    st.set_page_config(page_title="FuelOptiMine", layout="wide")
    st.title("FuelOptiMine")
    with marts.read_only(_reader()) as conn:
        _plan_section(conn)
        _savings_section(conn)
        _forecast_section(conn)
        _status_section(conn)


main()
