"""Model inputs built from source-shaped operations tables (the synthetic mine, or an extract):
the cycle-level feature frame of docs/contracts.md §1 and the daily site series."""

from __future__ import annotations

import pandas as pd


def cycle_frame(ops: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``haul_cycles`` joined with the truck's ``equipment`` row (model, engine hours)."""
    trucks = ops["equipment"].rename(
        columns={
            "equipment_id": "truck_id",
            "model": "truck_model",
            "engine_hours": "truck_engine_hours",
        }
    )[["truck_id", "truck_model", "truck_engine_hours"]]
    return ops["haul_cycles"].merge(trucks, on="truck_id", how="left")


def daily_frame(ops: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Site litres per calendar day (from the cycles) with the day's planned tonnes
    (``shift_plan``). The first and last days of the extract are cut off: a night shift crossing
    midnight makes them partial days that would look like collapses in demand."""
    cycles = ops["haul_cycles"]
    day = pd.to_datetime(cycles["load_start"], utc=True).dt.tz_convert(None).dt.normalize()
    fuel = cycles.groupby(day)["fuel_l"].sum().rename("fuel_l")
    plan = ops["shift_plan"]
    planned = (
        plan.groupby(pd.to_datetime(plan["shift_date"]).dt.normalize())["target_t"]
        .sum()
        .rename("planned_t")
    )
    out = pd.concat([fuel, planned], axis=1).rename_axis("date").reset_index()
    out = out[out["fuel_l"].notna()].iloc[1:-1]
    out["date"] = out["date"].dt.date
    return out.reset_index(drop=True)
