"""`fuelopt dashboard` as a real process over a dbt-built warehouse read as bi_reader, loaded in
Debian's chromium (Playwright, no browser download): the plan table shows marts.fct_fleet_plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.cli import serving

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def dashboard(served_marts, tmp_path) -> Iterator[str]:
    """The dashboard on a free port, reading this test's marts; its URL."""
    with serving(
        "dashboard",
        ready_path="/_stcore/health",
        log=tmp_path / "dashboard.log",
        AIRFLOW_CONN_FUELOPT_BI_READER=served_marts["reader"],
    ) as base:
        yield base


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_dashboard_shows_the_plan_of_the_mart(served_marts, dashboard, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    day, shift = served_marts["shift_date"], served_marts["shift"]
    with psycopg.connect(served_marts["warehouse"]) as conn:
        mart = conn.execute(
            "SELECT truck_id, shovel_id, dump_id, cycles, predicted_fuel_l"
            " FROM marts.fct_fleet_plan WHERE shift_date = %s AND shift = %s ORDER BY 1, 2, 3",
            (day, shift),
        ).fetchall()
    assert mart
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        try:
            page.goto(dashboard)
            heading = page.get_by_role("heading", name=f"{day} {shift} shift")
            expect(heading).to_be_visible(timeout=60_000)
            table = page.get_by_test_id("stTable").first
            expect(table).to_be_visible()
            header = [c.strip() for c in table.locator("thead th").all_inner_texts()]
            rows = [
                [c.strip() for c in row.locator("th, td").all_inner_texts()]
                for row in table.locator("tbody tr").all()
            ]
            # every section rendered, none raised (Streamlit shows an exception box instead)
            for section in ("Savings", "Fuel demand forecast", "Data freshness", "Drift"):
                expect(page.get_by_role("heading", name=section).first).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
        except Exception:
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            raise
        finally:
            browser.close()
    columns = ["truck_id", "shovel_id", "dump_id", "cycles", "predicted_fuel_l"]
    assert header[-5:] == columns, header
    shown = [  # Streamlit shows thousands separators and four decimals
        (
            r[-5],
            r[-4],
            r[-3],
            int(r[-2].replace(",", "")),
            pytest.approx(float(r[-1].replace(",", "")), abs=5e-5),
        )
        for r in rows
    ]
    assert shown == [tuple(m) for m in mart]
