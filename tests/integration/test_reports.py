"""Shift and weekly reports on a real warehouse: dbt-built marts, a plan published by the
optimize_fleet DAG (dag.test, real CBC), forecasts in ops.predictions, a freshness check; the
reports are made by the real ``fuelopt report`` command and by the DAG, then read back (openpyxl,
pdftoppm)."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from openpyxl import load_workbook
from PIL import Image

from fuelopt.config import PROJECT_ROOT, get_settings
from fuelopt.reports.pdf import SHIFT_PAGES, WEEKLY_PAGES
from fuelopt.reports.xlsx import SHIFT_SHEETS, WEEKLY_SHEETS
from fuelopt.synth import MineSpec
from fuelopt.transform.dbt_run import run_dbt
from tests.support.cli import run_cli
from tests.support.raw_data import MineData, load_mine_days

pytestmark = pytest.mark.integration  # pdftoppm: poppler-utils, installed by setup.sh

START = date(2026, 1, 5)  # a Monday: the mine's days are ISO week 2026-W02
DAYS = 5
WEEK = "2026-W02"


def _query(uri: str, query: str, params: tuple = ()) -> pd.DataFrame:
    with psycopg.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def _insert_forecasts(uri: str) -> None:
    """Seven-day forecasts of each mine day, as train_models tracks them in ops.predictions."""
    ml = get_settings().ml
    daily = _query(uri, 'SELECT "date", fuel_l FROM marts.fct_fuel_daily ORDER BY "date"')
    level = float(daily["fuel_l"].mean())
    with psycopg.connect(uri) as conn:
        for i, day in enumerate(daily["date"]):
            pred = level * (0.9 + 0.05 * i)
            conn.execute(
                "INSERT INTO ops.predictions (model_name, model_version, issued_at, horizon_days,"
                " target_date, pred, lo80, hi80, lo95, hi95, run_id)"
                " VALUES (%s, '1', %s, 7, %s, %s, %s, %s, %s, %s, 'test')",
                (
                    ml.demand_model_name,
                    datetime.combine(day - timedelta(days=7), datetime.min.time(), UTC),
                    day,
                    pred,
                    pred * 0.9,
                    pred * 1.1,
                    pred * 0.8,
                    pred * 1.2,
                ),
            )


@pytest.fixture(scope="module")
def built(module_warehouse_uri, airflow_home, tmp_path_factory) -> dict:
    """The mine through dbt, its last day shift planned and published by optimize_fleet."""
    from airflow.dag_processing.dagbag import DagBag

    from fuelopt.monitor.jobs import run_freshness

    uri = module_warehouse_uri
    mine = MineData.generate(MineSpec(seed=7, days=DAYS, trucks=6, shovels=3, dumps=2, start=START))
    load_mine_days(uri, mine, range(DAYS))
    run_dbt(["build"], uri=uri, target_path=tmp_path_factory.mktemp("dbt") / "target")
    _insert_forecasts(uri)
    run_freshness(
        "report-test", datetime.combine(START + timedelta(days=DAYS), datetime.min.time(), UTC)
    )

    shift_date = (START + timedelta(days=DAYS - 1)).isoformat()
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "optimize_fleet.py"))
    run = bag.get_dag("optimize_fleet").test(
        logical_date=datetime.now(UTC) - timedelta(minutes=1),
        run_conf={"shift_date": shift_date, "shift": "day"},
    )
    assert str(run.state) == "success"
    return {"uri": uri, "shift_date": shift_date, "shift": "day"}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return run_cli("report", *args, timeout=300)


def _sheet(path: Path, name: str, header_row: int = 1) -> pd.DataFrame:
    rows = list(load_workbook(path, read_only=True)[name].values)
    return pd.DataFrame(rows[header_row:], columns=rows[header_row - 1])


def _pages(pdf: Path, out: Path) -> list[Path]:
    """pdftoppm's PNG of every page of ``pdf``; each must carry ink."""
    out.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(pdf), str(out / "page")], check=True, timeout=120
    )
    pages = sorted(out.glob("page*.png"))
    for page in pages:
        grey = Image.open(page).convert("L")
        dark = sum(grey.histogram()[:200])
        assert dark > 0.002 * grey.width * grey.height, f"{page.name} is blank"
    return pages


def test_shift_excel_has_the_marts_numbers(built, tmp_path):
    out = tmp_path / "shift.xlsx"
    proc = _cli("shift", "--date", built["shift_date"], "--shift", "day", "--format", "xlsx",
                "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert tuple(load_workbook(out).sheetnames) == SHIFT_SHEETS

    mart = _query(
        built["uri"],
        "SELECT truck_id, shovel_id, dump_id, cycles, predicted_fuel_l, objective_fuel_l,"
        " baseline_fuel_l, saving_pct FROM marts.fct_fleet_plan WHERE shift_date = %s"
        " AND shift = 'day' ORDER BY truck_id, shovel_id, dump_id",
        (built["shift_date"],),
    )
    trucks = _sheet(out, "Trucks")
    cols = ["truck_id", "shovel_id", "dump_id", "cycles", "predicted_fuel_l"]
    pd.testing.assert_frame_equal(trucks[cols], mart[cols], check_dtype=False)
    cfg = get_settings().reports
    assert trucks["cost"].tolist() == pytest.approx(
        (mart["predicted_fuel_l"] * cfg.diesel_price_per_l).tolist()
    )
    assert trucks["co2_kg"].tolist() == pytest.approx(
        (mart["predicted_fuel_l"] * cfg.co2_kg_per_l).tolist()
    )
    summary = dict(_sheet(out, "Summary").itertuples(index=False, name=None))
    assert summary["predicted_fuel_l"] == pytest.approx(mart["objective_fuel_l"].iloc[0])
    assert summary["greedy_fuel_l"] == pytest.approx(mart["baseline_fuel_l"].iloc[0])
    assert summary["saving_l"] == pytest.approx(
        mart["baseline_fuel_l"].iloc[0] - mart["objective_fuel_l"].iloc[0]
    )
    assert summary["saving_pct"] == pytest.approx(mart["saving_pct"].iloc[0])
    previous = date.fromisoformat(built["shift_date"]) - timedelta(days=1)
    levers = _sheet(out, "Levers", header_row=2)
    expected = _query(
        built["uri"],
        "SELECT lever, saving_l FROM marts.fct_fuel_savings WHERE shift_date = %s"
        " AND shift = 'night' ORDER BY saving_l DESC LIMIT %s",
        (previous, cfg.levers_top_n),
    )
    assert len(expected) > 0
    assert levers["lever"].tolist() == expected["lever"].tolist()
    assert levers["saving_l"].tolist() == pytest.approx(expected["saving_l"].tolist())


def test_shift_pdf_has_its_pages(built, tmp_path):
    out = tmp_path / "shift.pdf"
    proc = _cli("shift", "--date", built["shift_date"], "--shift", "day", "--format", "pdf",
                "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(_pages(out, tmp_path / "png")) == SHIFT_PAGES


def test_optimize_fleet_wrote_both_shift_reports(built):
    folder = get_settings().paths.artifact(get_settings().reports.shift_subdir)
    stem = f"{built['shift_date']}_{built['shift']}"
    assert tuple(load_workbook(folder / f"{stem}.xlsx").sheetnames) == SHIFT_SHEETS
    assert (folder / f"{stem}.pdf").read_bytes().startswith(b"%PDF")


def test_weekly_excel_has_the_marts_numbers(built, tmp_path):
    out = tmp_path / "weekly.xlsx"
    proc = _cli("weekly", "--week", WEEK, "--format", "xlsx", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert tuple(load_workbook(out).sheetnames) == WEEKLY_SHEETS
    uri = built["uri"]

    daily = _sheet(out, "Daily")
    mart = _query(
        uri,
        'SELECT "date", fuel_l, tonnes, litres_per_t FROM marts.fct_fuel_daily'
        ' WHERE "date" BETWEEN %s AND %s ORDER BY "date"',
        (START, START + timedelta(days=6)),
    )
    assert len(mart) >= DAYS - 1
    assert [d.date() for d in daily["date"]] == list(mart["date"])
    for col in ("fuel_l", "tonnes", "litres_per_t"):
        assert daily[col].tolist() == pytest.approx(mart[col].astype(float).tolist()), col

    forecast = _sheet(out, "Forecast")
    fmart = _query(
        uri,
        "SELECT target_date, pred, lo80, hi95, actual_fuel_l, in_80 FROM marts.fct_fuel_forecast"
        " WHERE target_date BETWEEN %s AND %s ORDER BY target_date",
        (START, START + timedelta(days=6)),
    )
    assert len(forecast) == len(fmart) > 0
    for col in ("pred", "lo80", "hi95", "actual_fuel_l", "in_80"):
        assert forecast[col].tolist() == pytest.approx(fmart[col].astype(float).tolist()), col

    rejects = _sheet(out, "Rejects")
    rmart = _query(uri, 'SELECT table_name, "rule", count(*) AS n FROM ops.rejects GROUP BY 1, 2')
    assert rejects["rows"].sum() == rmart["n"].sum() > 0

    plans = _sheet(out, "Plans")
    assert len(plans) == 1 and plans["planned_fuel_l"].iloc[0] == pytest.approx(
        _query(uri, "SELECT max(objective_fuel_l) AS l FROM marts.fct_fleet_plan")["l"].iloc[0]
    )
    assert "freshness" in set(_sheet(out, "Drift")["check_type"])
    summary = dict(_sheet(out, "Summary").itertuples(index=False, name=None))
    assert summary["litres_per_t"] == pytest.approx(mart["fuel_l"].sum() / mart["tonnes"].sum())


def test_weekly_pdf_has_its_pages(built, tmp_path):
    out = tmp_path / "weekly.pdf"
    proc = _cli("weekly", "--week", WEEK, "--format", "pdf", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert len(_pages(out, tmp_path / "png")) == WEEKLY_PAGES


def test_missing_data_is_exit_2_naming_the_date(built, tmp_path):
    out = tmp_path / "none.pdf"
    proc = _cli("shift", "--date", "2026-03-01", "--shift", "night", "--format", "pdf",
                "--out", str(out))  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "2026-03-01" in proc.stderr
    proc = _cli("weekly", "--week", "2026-W20", "--format", "pdf", "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "2026-W20" in proc.stderr
    assert "2026-05-11" in proc.stderr
    assert not out.exists()


def test_levers_say_when_the_savings_mart_does_not_exist(built, tmp_path):
    """Before marts.fct_fuel_savings is built, the Levers sheet says it is not available yet."""
    uri = built["uri"]
    with psycopg.connect(uri) as conn:
        conn.execute("ALTER TABLE marts.fct_fuel_savings RENAME TO fct_fuel_savings_aside")
    try:
        out = tmp_path / "shift.xlsx"
        proc = _cli("shift", "--date", built["shift_date"], "--shift", "day", "--format",
                    "xlsx", "--out", str(out))  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        levers = list(load_workbook(out)["Levers"].values)
        assert "not available yet" in levers[0][0] and "fct_fuel_savings" in levers[0][0]
    finally:
        with psycopg.connect(uri) as conn:
            conn.execute("ALTER TABLE marts.fct_fuel_savings_aside RENAME TO fct_fuel_savings")
