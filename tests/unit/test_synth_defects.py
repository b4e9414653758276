"""Injected defects appear at the configured rates; --clean turns every one off."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from fuelopt.config import get_settings
from fuelopt.synth import MineSpec, generate_operations, iter_telemetry, truth

RATES = get_settings().synth.defects
SPEC = {"seed": 21, "days": 10, "trucks": 20, "shovels": 4, "dumps": 2, "start": date(2026, 2, 1)}


def _within(count: int, n: int, rate: float) -> bool:
    """``count`` of ``n`` rows is within 4.5 binomial standard deviations of ``rate``."""
    sd = np.sqrt(n * rate * (1 - rate))
    return abs(count - n * rate) <= 4.5 * sd + 1


def _count(labels: pd.Series, kind: str) -> int:
    return int(labels.fillna("").str.split(",").apply(lambda ks: kind in ks).sum())


@pytest.fixture(scope="module")
def cycles() -> pd.DataFrame:
    return generate_operations(MineSpec(**SPEC), include_truth=True)["haul_cycles"]


def test_cycle_defect_rates_match_config(cycles):
    original = cycles[~cycles["cycle_id"].str.endswith("-R")]
    n = len(original)
    labels = original["defect"]
    for kind, rate in (
        ("null", RATES.null_rate), ("negative", RATES.negative_litres_rate),
        ("absurd", RATES.absurd_litres_rate), ("unknown_truck", RATES.unknown_truck_rate),
    ):  # fmt: skip
        assert _within(_count(labels, kind), n, rate), kind
    assert _within(int(cycles["cycle_id"].str.endswith("-R").sum()), n, RATES.duplicate_rate)


def test_cycle_defects_are_what_their_label_says(cycles):
    negative = cycles[cycles["defect"] == "negative"]
    assert (negative["fuel_l"] < 0).all()
    absurd = cycles[cycles["defect"] == "absurd"]
    assert (absurd["fuel_l"] > 10 * cycles["fuel_l_expected"].median()).all()
    unknown = cycles[cycles["defect"] == "unknown_truck"]
    fleet = set(generate_operations(MineSpec(**SPEC))["equipment"]["equipment_id"])
    assert not set(unknown["truck_id"]) & fleet
    clean = cycles[cycles["defect"] == ""]
    assert clean.notna().all().all() and (clean["fuel_l"] > 0).all()
    assert cycles["cycle_id"].is_unique


def test_telemetry_defect_rates_match_config():
    spec = MineSpec(**{**SPEC, "days": 3})
    tel = pd.concat(iter_telemetry(spec, with_ingested_at=True), ignore_index=True)
    dup = tel["defect"] == "duplicate"
    base = tel[~dup]
    n = len(base)
    for kind, rate in (
        ("null", RATES.null_rate), ("spike", RATES.spike_rate), ("late", RATES.late_rate),
        ("unknown_truck", RATES.unknown_truck_rate), ("negative", RATES.negative_litres_rate),
    ):  # fmt: skip
        assert _within(_count(base["defect"], kind), n, rate), kind
    assert _within(int(dup.sum()), n, RATES.duplicate_rate)
    late = base[base["defect"].str.contains("late")]
    delay_h = (late["ingested_at"] - late["ts"]).dt.total_seconds() / 3600
    lo, hi = RATES.late_delay_hours_range
    assert delay_h.between(lo, hi).all()
    on_time = base[base["defect"] == ""]
    assert ((on_time["ingested_at"] - on_time["ts"]).dt.total_seconds() < 3600).all()
    assert tel.duplicated(subset=["truck_id", "ts", "fuel_rate_lph"]).sum() >= dup.sum()


def test_clean_has_no_defects():
    spec = MineSpec(**{**SPEC, "days": 2, "clean": True})
    ops = generate_operations(spec)
    cycles, dispatch = ops["haul_cycles"], ops["fuel_dispatch"]
    assert cycles.notna().all().all() and (cycles["fuel_l"] > 0).all()
    assert dispatch.notna().all().all() and (dispatch["litres"] > 0).all()
    assert not cycles["cycle_id"].str.endswith("-R").any()
    fleet = set(ops["equipment"]["equipment_id"])
    assert set(cycles["truck_id"]) <= fleet and set(dispatch["equipment_id"]) <= fleet
    tel = pd.concat(iter_telemetry(spec, with_ingested_at=True), ignore_index=True)
    assert (tel["defect"] == "").all()
    assert not tel.duplicated(subset=["truck_id", "ts"]).any()
    assert tel[list(tel.columns[:8])].notna().all().all()
    assert (tel["fuel_rate_lph"] >= 0).all()
    facts = truth(spec, generate_operations(spec, include_truth=True))
    assert all(v == 0 for k, v in facts["defect_rates"].items() if k.endswith("_rate"))
    assert facts["defect_counts"]["haul_cycles"] == {}
