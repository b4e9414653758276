"""Telemetry, refuelling and plans agree with the haul cycles."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fuelopt.synth import MineSpec, generate_operations, iter_telemetry, truth

SPEC = MineSpec(seed=4, days=7, trucks=6, shovels=2, dumps=2, start=date(2026, 5, 4), clean=True)
# Stated tolerance: over a week, litres dispatched to a truck are within 3 % of the litres its
# telemetry says it burned (minute sampling of phase rates + 1 % dispense noise + 5 % per-minute
# sensor noise averaging out).
WEEK_TOLERANCE = 0.03


@pytest.fixture(scope="module")
def ops() -> dict[str, pd.DataFrame]:
    return generate_operations(SPEC, include_truth=True)


@pytest.fixture(scope="module")
def telemetry() -> pd.DataFrame:
    return pd.concat(iter_telemetry(SPEC), ignore_index=True)


def test_dispatched_litres_match_burned_litres_per_truck_per_week(ops, telemetry):
    dispatched = ops["fuel_dispatch"].groupby("equipment_id")["litres"].sum()
    burned = telemetry.groupby("truck_id")["fuel_rate_lph"].sum() / 60.0
    trucks = burned.index
    ratio = dispatched.reindex(trucks) / burned
    assert ratio.between(1 - WEEK_TOLERANCE, 1 + WEEK_TOLERANCE).all(), ratio.to_dict()
    # cycles carry most of the fuel; the rest is idle at shift changes and shift ends
    in_cycles = ops["haul_cycles"].groupby("truck_id")["fuel_l"].sum().reindex(trucks)
    assert (in_cycles / dispatched.reindex(trucks)).between(0.75, 1.0).all()


def test_telemetry_statuses_match_cycles(ops, telemetry):
    cycles = ops["haul_cycles"]
    assert len(telemetry) == SPEC.days * SPEC.trucks * 1440
    for _, c in cycles.sample(30, random_state=0).iterrows():
        rows = telemetry[
            (telemetry["truck_id"] == c["truck_id"])
            & (telemetry["ts"] >= c["load_start"] + pd.Timedelta(minutes=1))
            & (telemetry["ts"] < c["dump_end"] - pd.Timedelta(minutes=1))
        ]
        assert set(rows["status"]) <= {"loading", "hauling", "dumping"}
        loaded = rows[rows["status"] == "hauling"]
        assert (loaded["payload_t"] == c["payload_t"]).all()
    working = telemetry[telemetry["status"].isin(["hauling", "loading", "dumping", "queuing"])]
    minutes_in_cycles = (cycles["dump_end"] - cycles["load_start"]).dt.total_seconds().sum() / 60.0
    assert len(working) > minutes_in_cycles  # plus empty travel and queues
    down = telemetry[telemetry["status"] == "down"]
    assert (down["fuel_rate_lph"] == 0).all() and (down["speed_kmh"] == 0).all()


def test_down_trucks_neither_haul_nor_refuel(ops, telemetry):
    down = telemetry[telemetry["status"] == "down"]
    if down.empty:
        pytest.skip("no truck down in this sample")
    shift_start = down["ts"].min()
    truck = down.loc[down["ts"] == shift_start, "truck_id"].iloc[0]
    window_end = shift_start + pd.Timedelta(hours=12)
    cycles = ops["haul_cycles"]
    assert not (
        (cycles["truck_id"] == truck)
        & (cycles["dump_end"] > shift_start)
        & (cycles["dump_end"] <= window_end)
    ).any()


def test_shift_targets_are_roughly_met(ops):
    cycles = ops["haul_cycles"].copy()
    since_day_start = cycles["dump_end"] - pd.Timedelta(hours=6)  # day shift starts at 06:00
    cycles["shift_date"] = since_day_start.dt.date
    cycles["shift"] = (since_day_start.dt.hour >= 12).map({False: "day", True: "night"})
    actual = cycles.groupby(["shift_date", "shift", "shovel_id"])["payload_t"].sum()
    plan = ops["shift_plan"].set_index(["shift_date", "shift", "shovel_id"])["target_t"]
    both = pd.concat([actual.rename("actual"), plan], axis=1).dropna()
    both = both[both["target_t"] > 0]
    ratio = both["actual"].sum() / both["target_t"].sum()
    assert 0.85 < ratio < 1.2, ratio


def test_truth_documents_the_noise_floor(ops):
    facts = truth(SPEC, ops)
    noise = facts["noise"]
    assert noise["cycle_fuel_sd_pct"] > 0 and noise["cycle_fuel_sd_l"] > 0
    assert noise["irreducible_sd_pct"] >= noise["cycle_fuel_sd_pct"]
    assert set(facts["truck_models"]) >= {"CAT 793F", "Komatsu 930E"}
    assert len(facts["fleet"]) == SPEC.trucks
    assert facts["spec"]["seed"] == SPEC.seed
