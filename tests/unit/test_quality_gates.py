"""Gate summaries and suite definitions (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fuelopt.config import get_settings
from fuelopt.quality.gates import CheckResult, GateReport, observed_text
from fuelopt.quality.suites import GATES, SUITES, Facts, batch_mostly, expectations


def test_observed_text_says_how_far_off_a_result_is():
    text = observed_text(
        {"unexpected_percent": 12.5, "unexpected_count": 5, "element_count": 40},
        {"column": "fuel_l", "mostly": 0.95},
    )
    assert text == "12.50 % unexpected (5 of 40 rows), allowed 5.00 %"
    assert observed_text({"observed_value": 7}, {"min_value": 10}) == "observed 7 (min 10)"


def test_summary_lists_only_the_failed_expectations():
    ok = CheckResult("raw_haul_cycles", "raw.haul_cycles", "expect_a", "x", True, "fine")
    bad = CheckResult("raw_haul_cycles", "raw.haul_cycles", "expect_b", "fuel_l", False, "9 % off")
    report = GateReport("raw", "r1", [ok, bad], None)
    assert not report.success
    assert report.summary() == (
        "gate 'raw' failed 1 of 2 expectations: raw_haul_cycles: expect_b(fuel_l) 9 % off"
    )
    assert GateReport("raw", "r1", [ok], None).summary().startswith("gate 'raw' passed")


def test_every_gate_suite_checks_physical_ranges_from_config():
    cfg = get_settings().quality
    facts = Facts(now=datetime.now(UTC), audit_rows=1000, raw_distinct_keys=10, cleansed_rows=9)
    for gate, names in GATES.items():
        for name in names:
            found = expectations(SUITES[name], facts, cfg)
            assert found, (gate, name)
    raw = expectations(SUITES["raw_haul_cycles"], facts, cfg)
    fuel = [
        e for e in raw if e.expectation_type == "expect_column_values_to_be_between"
        and e.column == "fuel_l"
    ]  # fmt: skip
    assert fuel and fuel[0].max_value == cfg.limits.max_cycle_fuel_l
    nulls = [
        e for e in raw if e.expectation_type == "expect_column_values_to_not_be_null"
        and e.column == "fuel_l"
    ]  # fmt: skip
    assert nulls[0].mostly == 1 - cfg.gates.max_null_rate


def test_a_raw_batch_tolerates_a_few_bad_rows_and_is_checked_against_its_own_audit():
    cfg = get_settings().quality
    share, now = 1 - cfg.gates.max_null_rate, datetime.now(UTC)
    assert batch_mostly(share, Facts(now=now, audit_rows=100_000), cfg) == share
    small = Facts(now=now, audit_rows=3)
    assert batch_mostly(share, small, cfg) == pytest.approx(1 - cfg.gates.raw_tolerated_rows / 3)

    def kinds(facts: Facts) -> list[str]:
        return [e.expectation_type for e in expectations(SUITES["raw_haul_cycles"], facts, cfg)]

    exact = kinds(Facts(now=now, audit_rows=50))
    assert "expect_table_row_count_to_equal" in exact
    assert "expect_column_max_to_be_between" in exact  # the newest batch must be fresh
    replaced = kinds(Facts(now=now, audit_rows=50, audit_exact=False, check_freshness=False))
    assert "expect_table_row_count_to_equal" not in replaced
    assert "expect_column_max_to_be_between" not in replaced
