"""PDF reports (ReportLab platypus, A4 landscape): a fixed page layout per report."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from fuelopt.frames import write_atomically
from fuelopt.reports.charts import forecast_chart, shift_chart, trend_chart
from fuelopt.reports.data import ShiftReport, WeeklyReport

# Pages each report has (each section starts a page; tables are sized to fit one).
SHIFT_PAGES = 2
WEEKLY_PAGES = 3


def savings_by_lever(savings: pd.DataFrame) -> pd.DataFrame:
    """The week's savings summed per lever, largest first (rows as they are without a lever)."""
    if "lever" not in savings:
        return savings
    numeric = [
        c for c in savings.columns if "saving" in c and pd.api.types.is_numeric_dtype(savings[c])
    ]
    if not numeric:
        return savings
    return (
        savings.groupby("lever", as_index=False)[numeric]
        .sum()
        .sort_values([numeric[0], "lever"], ascending=[False, True], ignore_index=True)
    )


def fmt(value: Any) -> str:
    """A figure as people read it: thousands separated, two decimals below 100, n/a if missing."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "n/a"
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, datetime):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _Doc:
    """The flowables of one document and the styles they use."""

    def __init__(self, title: str) -> None:
        from reportlab.lib.styles import getSampleStyleSheet

        self.styles = getSampleStyleSheet()
        self.title = title
        self.story: list[Any] = []

    def heading(self, text: str, level: int = 1) -> None:
        from reportlab.platypus import Paragraph

        self.story.append(Paragraph(text, self.styles[f"Heading{level}"]))

    def text(self, text: str) -> None:
        from reportlab.platypus import Paragraph

        self.story.append(Paragraph(text, self.styles["BodyText"]))

    def table(
        self, frame: pd.DataFrame | None, columns: list[str] | None = None, total=None
    ) -> None:
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        if frame is None or frame.empty:
            self.text("<i>no rows</i>")
            return
        frame = frame[columns] if columns else frame
        rows = [list(frame.columns)] + [[fmt(v) for v in r] for r in frame.itertuples(index=False)]
        if total:
            rows.append(total)
        table = Table(rows, repeatRows=1, hAlign="LEFT")
        style = [
            ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("LEADING", (0, 0), (-1, -1), 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("ALIGN", (0, 1), (-1, -1), "RIGHT"),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]
        if total:
            style.append(("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"))
        table.setStyle(TableStyle(style))
        self.story.append(table)

    def pairs(self, summary: dict[str, Any]) -> None:
        self.table(
            pd.DataFrame({"item": list(summary), "value": [fmt(v) for v in summary.values()]})
        )

    def image(self, png: bytes, width_cm: float = 22) -> None:
        from reportlab.lib.units import cm
        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        w, h = ImageReader(io.BytesIO(png)).getSize()
        self.story.append(Image(io.BytesIO(png), width=width_cm * cm, height=width_cm * cm * h / w))

    def page_break(self) -> None:
        from reportlab.platypus import PageBreak

        self.story.append(PageBreak())

    def gap(self) -> None:
        from reportlab.platypus import Spacer

        self.story.append(Spacer(1, 6))

    def save(self, path: Path) -> Path:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import cm
        from reportlab.platypus import SimpleDocTemplate

        def build(tmp: Path) -> None:
            doc = SimpleDocTemplate(
                str(tmp),
                pagesize=landscape(A4),
                title=self.title,
                author="FuelOptiMine",
                leftMargin=1.5 * cm,
                rightMargin=1.5 * cm,
                topMargin=1.2 * cm,
                bottomMargin=1.2 * cm,
                invariant=1,
            )
            doc.build(self.story)

        write_atomically(path, build)
        return path


def write_shift_pdf(report: ShiftReport, path: str | Path) -> Path:
    """Page 1: run figures and the plan per truck with totals; page 2: chart and levers."""
    s = report.summary
    cur = s["currency"]
    doc = _Doc(f"Shift report {s['shift']}")
    doc.heading(f"Shift report: {s['shift']} shift")
    published = fmt(pd.Timestamp(s["published_at"]).to_pydatetime())
    doc.text(
        f"Plan {s['plan_id']} ({s['status']}, litres from {s['fuel_source']}), published "
        f"{published}. Cost at {fmt(s['diesel_price_per_l'])} "
        f"{cur}/L, CO2 at {fmt(s['co2_kg_per_l'])} kg/L."
    )
    doc.text(
        f"<b>Predicted {fmt(s['predicted_fuel_l'])} L</b> ({fmt(s['cost'])} {cur}, "
        f"{fmt(s['co2_kg'] / 1000)} t CO2) against {fmt(s['greedy_fuel_l'])} L for the greedy "
        f"dispatcher: <b>saving {fmt(s['saving_l'])} L ({fmt(s['saving_pct'])} %)</b>, "
        f"{fmt(s['saving_cost'])} {cur}, "
        f"{fmt(None if s['saving_co2_kg'] is None else s['saving_co2_kg'] / 1000)} t CO2."
    )
    doc.gap()
    trucks = report.trucks.rename(columns={"cost": f"cost_{cur}"})
    doc.table(
        trucks,
        total=[
            "total",
            "",
            "",
            fmt(s["cycles"]),
            fmt(s["predicted_fuel_l"]),
            fmt(s["cost"]),
            fmt(s["co2_kg"]),
        ],
    )
    doc.page_break()
    doc.heading("Predicted litres", 2)
    doc.image(shift_chart(report), width_cm=20)
    doc.heading(f"Saving levers of the previous shift ({report.previous.replace('_', ' ')})", 2)
    doc.text(report.levers_note)
    if report.levers is not None:
        doc.table(report.levers)
    return doc.save(Path(path))


def write_weekly_pdf(report: WeeklyReport, path: str | Path) -> Path:
    """Page 1: figures, days and trend; page 2: forecasts; page 3: plans, drift, data quality."""
    s = report.summary
    doc = _Doc(f"Weekly report {report.week}")
    doc.heading(f"Weekly report {report.week} ({s['days']})")
    doc.text(
        f"<b>{fmt(s['litres_per_t'])} L/t</b>: {fmt(s['fuel_l'])} L dispensed "
        f"({fmt(s['cost'])} {s['currency']}, {fmt(s['co2_kg'] / 1000)} t CO2) for "
        f"{fmt(s['tonnes'])} t over {s['days_with_data']} days. Drift: {s['drift_severity']}; "
        f"failed expectations: {s['dq_failed_expectations']}; quarantined rows: "
        f"{fmt(s['rejected_rows'])}."
    )
    for note in report.notes:
        doc.text(f"<i>{note}</i>")
    doc.gap()
    doc.table(report.daily)
    doc.gap()
    doc.image(trend_chart(report), width_cm=16)
    doc.page_break()
    doc.heading("Forecast against actuals", 2)
    doc.image(forecast_chart(report), width_cm=16)
    doc.gap()
    doc.table(
        report.forecasts,
        [
            "target_date",
            "horizon_days",
            "model_version",
            "pred",
            "lo80",
            "hi80",
            "lo95",
            "hi95",
            "actual_fuel_l",
            "in_80",
            "in_95",
        ],
    )
    doc.heading("Model performance (recent window)", 3)
    doc.table(report.performance)
    doc.page_break()
    doc.heading("Fleet plans: predicted saving and litres hauled", 2)
    doc.table(report.plans)
    if report.savings is not None:
        doc.heading("Realised savings: the week's saving levers (Excel: per shift)", 3)
        doc.table(savings_by_lever(report.savings))
    doc.heading("Drift status (latest run of each check)", 3)
    doc.table(report.drift)
    doc.heading("Data quality (latest validation of each suite)", 3)
    doc.table(report.quality)
    doc.heading("Quarantined rows (ops.rejects)", 3)
    doc.table(report.rejects)
    return doc.save(Path(path))
