"""Excel workbooks of the reports (openpyxl): one sheet per table, figures as numbers."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from fuelopt.frames import write_atomically
from fuelopt.reports.charts import forecast_chart, shift_chart, trend_chart
from fuelopt.reports.data import ShiftReport, WeeklyReport

SHIFT_SHEETS = ("Summary", "Trucks", "Levers")
WEEKLY_SHEETS = (
    "Summary",
    "Daily",
    "Trend",
    "Forecast",
    "Model performance",
    "Plans",
    "Savings",
    "Drift",
    "Data quality",
    "Rejects",
)


def cell(value: Any) -> Any:
    """A value openpyxl stores: plain numbers, naive UTC datetimes, None for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, datetime):
        stamp = pd.Timestamp(value)
        return (
            stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
        ).to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return cell(value.item())
    return value


def _table(sheet, frame: pd.DataFrame | None, note: str | None = None) -> None:
    if note:
        sheet.append([note])
    if frame is None:
        return
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append([cell(v) for v in row])
    for i, column in enumerate(frame.columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(
            12, len(str(column)) + 2
        )


def _summary(sheet, summary: dict[str, Any], notes: Iterable[str], charts: list[bytes]) -> None:
    from openpyxl.drawing.image import Image

    sheet.append(["item", "value"])
    for key, value in summary.items():
        sheet.append([key, cell(value)])
    for note in notes:
        sheet.append(["note", note])
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 30
    for i, png in enumerate(charts):
        sheet.add_image(Image(io.BytesIO(png)), f"D{2 + 24 * i}")


def _save(workbook, path: Path) -> Path:
    write_atomically(path, lambda tmp: workbook.save(tmp))
    return path


def write_shift_xlsx(report: ShiftReport, path: str | Path) -> Path:
    """Sheets Summary (run figures, chart), Trucks (one row per truck and route), Levers."""
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    summary.title = SHIFT_SHEETS[0]
    _summary(summary, report.summary, [], [shift_chart(report)])
    _table(book.create_sheet(SHIFT_SHEETS[1]), report.trucks)
    _table(book.create_sheet(SHIFT_SHEETS[2]), report.levers, report.levers_note)
    return _save(book, Path(path))


def write_weekly_xlsx(report: WeeklyReport, path: str | Path) -> Path:
    """The weekly report's tables, one sheet each (WEEKLY_SHEETS), charts on Summary."""
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    summary.title = WEEKLY_SHEETS[0]
    _summary(summary, report.summary, report.notes, [trend_chart(report), forecast_chart(report)])
    frames = {
        "Daily": report.daily,
        "Trend": report.trend,
        "Forecast": report.forecasts,
        "Model performance": report.performance,
        "Plans": report.plans,
        "Savings": report.savings,
        "Drift": report.drift,
        "Data quality": report.quality,
        "Rejects": report.rejects,
    }
    for name in WEEKLY_SHEETS[1:]:
        note = report.savings_note if name == "Savings" else None
        _table(book.create_sheet(name), frames[name], note)
    return _save(book, Path(path))
